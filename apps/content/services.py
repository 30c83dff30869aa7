"""Every write to content goes through here, so a grep finds each way it changes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.admin.models import AuditEntry
from apps.admin.services import history_record
from filamenta.caching import version_bump

from .models import Article
from .sanitize import sanitize_html

BATCH = 500


def article_unique_slug(*, title: str, exclude_pk: int | None = None) -> str:
    """A slug from the title, numbered (``-2``, ``-3``...) when it is taken."""
    base = slugify(title)[:190] or "untitled"
    taken = set(
        Article.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def article_create(
    *,
    title: str,
    body: str = "",
    kind: str = Article.Kind.ARTICLE,
    author: Any = None,
    slug: str = "",
) -> Article:
    """Create a draft; publishing is a separate, audited step."""
    article = Article(
        title=title,
        body=body,
        kind=kind,
        author=author,
        slug=slug or article_unique_slug(title=title),
        status=Article.Status.DRAFT,
    )
    article.full_clean()
    article.save()
    return article


@transaction.atomic
def article_publish(*, article: Article, by: Any) -> Article:
    """Make the article public now (keeping its first publication time) and record who did."""
    article.status = Article.Status.PUBLISHED
    article.published_at = article.published_at or timezone.now()
    article.save(update_fields=["status", "published_at"])
    history_record(action=AuditEntry.Action.PUBLISHED, actor=by, target=article,
                   message="Published.")  # fmt: skip
    return article


@transaction.atomic
def article_archive(*, article: Article, by: Any) -> Article:
    """Take the article out of lists and the feed; its address keeps working."""
    article.status = Article.Status.ARCHIVED
    article.save(update_fields=["status"])
    history_record(action=AuditEntry.Action.CHANGED, actor=by, target=article,
                   message="Archived.")  # fmt: skip
    return article


@transaction.atomic
def articles_create_many(
    *,
    articles: Sequence[Article],
    by: Any = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Insert unsaved articles in batches (demo data, imports); returns how many.

    ``bulk_create`` skips ``save()`` and sends no ``post_save``, so this does
    what those would: bodies are sanitised, and the ``content.article`` version
    (which every cached list, article and page depends on) is bumped once, when
    the transaction commits, for the whole write. One history entry says how
    many were added.
    """
    for article in articles:
        article.body = sanitize_html(article.body or "")
        article.slug = article.slug or slugify(article.title)[:200] or "untitled"
        if article.status == Article.Status.PUBLISHED and article.published_at is None:
            article.published_at = timezone.now()
    for start in range(0, len(articles), BATCH):
        batch = list(articles[start : start + BATCH])
        Article.objects.bulk_create(batch)
        if on_batch is not None:
            on_batch(len(batch))
    if not articles:
        return 0
    history_record(action=AuditEntry.Action.ADDED, actor=by,
                   message=f"{len(articles)} article(s) added in bulk.")  # fmt: skip
    transaction.on_commit(functools.partial(version_bump, name=Article._meta.label_lower))
    return len(articles)
