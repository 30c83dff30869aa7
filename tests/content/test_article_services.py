"""The article services on each database: what they store and what they record, once."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import ValidationError

from apps.content.models import Article
from apps.content.services import (
    article_archive,
    article_create,
    article_delete,
    article_publish,
    article_unique_slug,
    article_update,
    articles_create_many,
    articles_delete,
)
from apps.siteadmin.models import AuditEntry

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def test_create_makes_a_draft_with_a_unique_slug(editor):
    first = article_create(title="Hello world", author=editor)
    second = article_create(title="Hello world", author=editor)
    third = article_create(title="Hello world", author=editor)

    assert first.status == Article.Status.DRAFT
    assert [first.slug, second.slug, third.slug] == [
        "hello-world",
        "hello-world-2",
        "hello-world-3",
    ]


def test_unique_slug_of_a_title_without_letters():
    assert article_unique_slug(title="!!!") == "untitled"


def test_publish_records_who_and_when(editor):
    article = article_create(title="News", author=editor)

    article_publish(article=article, by=editor)

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISHED)
    assert entry.actor == editor
    assert entry.log_entry.object_id == str(article.pk)
    assert LogEntry.objects.filter(object_id=str(article.pk), user=editor).exists()


def test_republishing_keeps_the_first_publication_time(editor):
    article = article_create(title="News", author=editor)
    article_publish(article=article, by=editor)
    first = article.published_at
    article_archive(article=article, by=editor)

    article_publish(article=article, by=editor)

    article.refresh_from_db()
    assert article.published_at == first


def test_archive(editor):
    article = article_create(title="Old", author=editor)
    article_publish(article=article, by=editor)

    article_archive(article=article, by=editor)

    article.refresh_from_db()
    assert article.status == Article.Status.ARCHIVED
    assert AuditEntry.objects.filter(summary__contains="Archived").count() == 1


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
FORBIDDEN = ("<script", "onerror", "onload", "onclick", "javascript:", "<iframe", "data:text",
             "<object", "<embed", "<form", "<input", "style=")  # fmt: skip


@pytest.mark.parametrize("payload", XSS_BODIES)
def test_body_is_sanitised_on_create_and_update(payload, editor):
    article = article_create(title="t", body=f"<p>kept</p>{payload}", by=editor)
    created = Article.objects.get(pk=article.pk).body
    article_update(article=article, by=editor, body=f"<p>kept</p>{payload}<p>again</p>")
    updated = Article.objects.get(pk=article.pk).body

    for stored in (created, updated):
        assert "<p>kept</p>" in stored
        lowered = stored.lower()
        for forbidden in FORBIDDEN:
            assert forbidden not in lowered, (payload, stored)


@pytest.mark.parametrize("payload", XSS_BODIES[:4])
def test_bulk_bodies_are_sanitised(payload):
    articles_create_many(articles=[Article(title="t", slug="t", body=f"<p>kept</p>{payload}")])

    stored = Article.objects.get(slug="t").body
    assert stored.startswith("<p>kept</p>")
    assert "<script" not in stored.lower()
    assert "javascript:" not in stored.lower()


def test_allowed_markup_survives():
    body = (
        '<h2>Title</h2><p>A <a href="https://example.com/">link</a>, <em>emphasis</em>, '
        '<code>code</code>.</p><ul><li>one</li></ul><img src="/media/x.png" alt="x">'
    )
    stored = article_create(title="t", body=body).body

    assert "<h2>Title</h2>" in stored
    assert 'href="https://example.com/"' in stored
    assert 'rel="noopener noreferrer nofollow"' in stored
    assert '<img src="/media/x.png" alt="x">' in stored


def test_create_records_one_addition(editor):
    article = article_create(title="New", by=editor)

    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == (AuditEntry.Action.ADDED, editor)
    assert entry.log_entry.action_flag == ADDITION
    assert entry.log_entry.object_id == str(article.pk)


def test_creating_published_sets_the_time_and_is_one_record(editor):
    article = article_create(title="Out now", status=Article.Status.PUBLISHED, by=editor)

    assert article.published_at is not None
    assert AuditEntry.objects.get().summary == "article “Out now”: Added and published."


def test_publishing_by_update_is_the_same_record_as_article_publish(editor):
    by_service = article_create(title="One", by=editor)
    by_update = article_create(title="Two", by=editor)
    AuditEntry.objects.all().delete()

    article_publish(article=by_service, by=editor)
    article_update(article=by_update, by=editor, status=Article.Status.PUBLISHED)

    entries = list(AuditEntry.objects.order_by("id").values_list("action", "summary"))
    assert entries == [
        ("published", "article “One”: Published."),
        ("published", "article “Two”: Published."),
    ]


def test_update_names_the_changed_fields_and_keeps_the_publication_time(editor):
    article = article_create(title="Old", status=Article.Status.PUBLISHED, by=editor)
    first = article.published_at
    AuditEntry.objects.all().delete()

    article_update(article=article, by=editor, title="New", kind=Article.Kind.ARTICLE)

    article.refresh_from_db()
    assert (article.title, article.published_at) == ("New", first)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.summary) == ("changed", "article “New”: Changed Title.")
    assert entry.log_entry.action_flag == CHANGE


def test_update_sees_changes_already_copied_onto_the_instance(editor):
    """A model form sets the values on the instance before the service is called."""
    article = article_create(title="Draft", by=editor)
    AuditEntry.objects.all().delete()
    article.status = Article.Status.PUBLISHED

    article_update(article=article, by=editor, status=Article.Status.PUBLISHED)

    assert AuditEntry.objects.get().action == AuditEntry.Action.PUBLISHED


def test_an_update_that_changes_nothing_writes_nothing(editor):
    article = article_create(title="Same", by=editor)
    AuditEntry.objects.all().delete()

    article_update(article=article, by=editor, title="Same")

    assert not AuditEntry.objects.exists()


def test_update_refuses_unknown_fields_and_bad_values(editor):
    article = article_create(title="Valid", by=editor)

    with pytest.raises(TypeError, match="created_at"):
        article_update(article=article, by=editor, created_at=None)
    with pytest.raises(ValidationError):
        article_update(article=article, by=editor, status="nonsense")


def test_delete_records_one_deletion_before_the_row_goes(editor):
    article = article_create(title="Gone", by=editor)
    AuditEntry.objects.all().delete()

    article_delete(article=article, by=editor)

    assert not Article.objects.exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.summary) == ("deleted", "article “Gone”")
    assert entry.log_entry.action_flag == DELETION


def test_deleting_several_records_each(editor):
    for title in ("A", "B"):
        article_create(title=title, by=editor)
    AuditEntry.objects.all().delete()

    assert articles_delete(articles=Article.objects.all(), by=editor) == 2

    assert AuditEntry.objects.filter(action="deleted").count() == 2


def test_bulk_create_fills_publication_times_and_records_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = articles_create_many(
            articles=[Article(title=f"T{n}", status=Article.Status.PUBLISHED) for n in range(3)]
        )

    assert count == 3
    assert not Article.objects.filter(published_at=None).exists()
    assert sorted(Article.objects.values_list("slug", flat=True)) == ["t0", "t1", "t2"]
    assert AuditEntry.objects.get().summary == "3 article(s) added in bulk."
    assert len(callbacks) == 1  # the cache versions, bumped once after commit
