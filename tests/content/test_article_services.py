"""article_create, article_publish and article_archive, on each database."""

import pytest
from django.contrib.admin.models import LogEntry

from apps.admin.models import AuditEntry
from apps.content.models import Article
from apps.content.services import (
    article_archive,
    article_create,
    article_publish,
    article_unique_slug,
)

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
