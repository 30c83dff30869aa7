"""The Article model on each database: sanitised bodies, unique slugs, authors kept as null."""

import pytest
from django.db import IntegrityError, transaction

from apps.content.models import Article

pytestmark = [pytest.mark.database, pytest.mark.django_db]

XSS_BODIES = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.example/"></iframe>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">p</p>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "<object data='x.swf'></object><embed src='x'>",
    "<form action='https://evil.example'><input name=x></form>",
    '<math><mtext><table><mglyph><style><img src=x onerror="alert(1)">',
]


@pytest.mark.parametrize("payload", XSS_BODIES)
def test_body_is_sanitised_on_save(payload):
    article = Article.objects.create(title="t", slug="t", body=f"<p>kept</p>{payload}")
    stored = Article.objects.get(pk=article.pk).body

    assert "<p>kept</p>" in stored
    lowered = stored.lower()
    for forbidden in ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe",
                      "data:text", "<object", "<embed", "<form", "<input", "style="):  # fmt: skip
        assert forbidden not in lowered, (payload, stored)


def test_allowed_markup_survives():
    body = (
        '<h2>Title</h2><p>A <a href="https://example.com/">link</a>, <em>emphasis</em>, '
        '<code>code</code>.</p><ul><li>one</li></ul><img src="/media/x.png" alt="x">'
    )
    stored = Article.objects.create(title="t", slug="t", body=body).body

    assert "<h2>Title</h2>" in stored
    assert 'href="https://example.com/"' in stored
    assert 'rel="noopener noreferrer nofollow"' in stored
    assert '<img src="/media/x.png" alt="x">' in stored


def test_slug_is_unique():
    Article.objects.create(title="One", slug="same")
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(title="Two", slug="same")


def test_deleting_the_author_keeps_the_article(django_user_model):
    writer = django_user_model.objects.create_user("writer")
    article = Article.objects.create(title="Kept", slug="kept", author=writer)

    writer.delete()

    article.refresh_from_db()
    assert article.author is None
    assert article.title == "Kept"


def test_publishing_sets_the_publication_time_once():
    article = Article.objects.create(title="t", slug="t", status=Article.Status.PUBLISHED)
    first = article.published_at
    assert first is not None

    article.title = "changed"
    article.save()

    assert Article.objects.get(pk=article.pk).published_at == first


def test_unicode_round_trips():
    Article.objects.create(title="Zoë\u2019s 🚀 notes", slug="zoe", body="<p>naïve café ✓</p>")

    stored = Article.objects.get(slug="zoe")

    assert stored.title == "Zoë\u2019s 🚀 notes"
    assert stored.body == "<p>naïve café ✓</p>"


def test_public_query_uses_an_index():
    names = {index.name for index in Article._meta.indexes}
    assert {"content_status_published", "content_kind_status_published"} <= names
