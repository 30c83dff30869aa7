"""The Article model on each database: unique slugs, authors kept as null, Unicode.

Sanitising and publication times are the services' (tests/content/test_article_services.py).
"""

import pytest
from django.db import IntegrityError, transaction

from apps.content.models import Article

pytestmark = [pytest.mark.database, pytest.mark.django_db]


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


def test_unicode_round_trips():
    Article.objects.create(title="Zoë\u2019s 🚀 notes", slug="zoe", body="<p>naïve café ✓</p>")

    stored = Article.objects.get(slug="zoe")

    assert stored.title == "Zoë\u2019s 🚀 notes"
    assert stored.body == "<p>naïve café ✓</p>"


def test_public_query_uses_an_index():
    names = {index.name for index in Article._meta.indexes}
    assert {"content_status_published", "content_kind_status_published"} <= names
