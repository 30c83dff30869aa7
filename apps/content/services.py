"""Every write to content goes through here, so a grep finds each way it changes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from html.parser import HTMLParser
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.selectors import site_settings_get
from apps.siteadmin.services import (
    audited_delete,
    audited_delete_many,
    history_change_message,
    history_record,
    model_changed_fields,
)
from filamenta.caching import version_bump

from .models import Article, ArticleMedia
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


# What a caller may set; the dates are the database's.
ARTICLE_FIELDS = frozenset(
    {"title", "slug", "body", "kind", "status", "author", "published_at", "featured_image"}
)


def _featured_image_check(*, image: Any, by: Any) -> None:
    """A featured image is an image of the library that ``by`` may use.

    ``by`` None is a script (seed_demo, an import), trusted like the shell;
    anyone else picks from what ``media_list_visible`` shows them, so an
    author cannot feature another author's upload by its id.
    """
    from apps.media.selectors import media_list_visible

    if image is None:
        return
    if not image.is_image:
        raise ValidationError({"featured_image": "The featured image must be an image."})
    if by is not None and not media_list_visible(user=by).filter(pk=image.pk).exists():
        raise ValidationError({"featured_image": "You may not use this image."})


class _MediaReferences(HTMLParser):
    """The ``src`` of every ``<img>`` and the ``href`` of every ``<a>`` of a body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"img": "src", "a": "href"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def article_media_refresh(*, article: Article) -> None:
    """Rewrite the article's ``ArticleMedia`` rows from its body and featured image.

    Called on every write, so ``media_usages`` and the database's PROTECT
    always see what the article shows now; other hosts' URLs and unknown
    keys are not ours and are skipped.
    """
    from apps.media.selectors import media_item_from_url

    parser = _MediaReferences()
    parser.feed(article.body or "")
    parser.close()
    wanted = {item.pk for url in parser.urls if (item := media_item_from_url(url=url))}
    if article.featured_image_id:
        wanted.add(article.featured_image_id)
    stored = set(article.media_links.values_list("media_id", flat=True))
    if stored - wanted:
        article.media_links.filter(media_id__in=stored - wanted).delete()
    ArticleMedia.objects.bulk_create(
        [ArticleMedia(article=article, media_id=pk) for pk in wanted - stored]
    )


def _sanitize_body(body: str | None) -> str:
    """The allow-list, with the site's choice about images from other hosts."""
    return sanitize_html(
        body or "", allow_external_images=site_settings_get().allow_external_images
    )


def _article_prepare(article: Article) -> None:
    """The one place an article is made safe and complete before it is stored.

    Sanitising here rather than in ``Article.save`` covers the bulk path too
    (``bulk_create`` skips ``save()``); every write goes through this module.
    """
    article.body = _sanitize_body(article.body)
    if not article.slug:
        article.slug = article_unique_slug(title=article.title, exclude_pk=article.pk)
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


@transaction.atomic
def article_create(
    *,
    title: str,
    body: str = "",
    kind: str = Article.Kind.ARTICLE,
    author: Any = None,
    slug: str = "",
    status: str = Article.Status.DRAFT,
    published_at: Any = None,
    featured_image: Any = None,
    by: Any = None,
) -> Article:
    """Create an item (a draft unless told otherwise) and record it as added, once.

    An item created already published is one act, recorded as "added" and
    saying so; ``by`` is who did it (None for a script).
    """
    article = Article(
        title=title,
        body=body,
        kind=kind,
        author=author,
        slug=slug or article_unique_slug(title=title),
        status=status,
        published_at=published_at,
        featured_image=featured_image,
    )
    _featured_image_check(image=featured_image, by=by)
    _article_prepare(article)
    article.full_clean()
    article.save()
    article_media_refresh(article=article)
    message = "Added and published." if status == Article.Status.PUBLISHED else "Added."
    history_record(action=AuditEntry.Action.ADDED, actor=by, target=article, message=message)
    return article


@transaction.atomic
def article_update(*, article: Article, by: Any, **fields: Any) -> Article:
    """Change an item's fields, recorded once under the name of what happened.

    A change of status to published is a publication ("published"), to
    archived an archival, whether it comes from the admin form, the admin
    action or code; other changes are "changed", naming the fields. Changes
    are found against the stored row, since a model form has already copied
    its values onto ``article``. Nothing changed: nothing is written.
    """
    unknown = set(fields) - ARTICLE_FIELDS
    if unknown:
        raise TypeError(f"articles have no editable field(s) {sorted(unknown)}")
    if "body" in fields:
        fields["body"] = _sanitize_body(fields["body"])
    if "featured_image" in fields:
        _featured_image_check(image=fields["featured_image"], by=by)
    stored = Article.objects.select_for_update().get(pk=article.pk)
    changed = model_changed_fields(instance=article, stored=stored, fields=fields)
    if not changed:
        return article
    for name in changed:
        setattr(article, name, fields[name])
    _article_prepare(article)
    article.full_clean()
    article.save(update_fields={*changed, "body", "slug", "published_at", "updated_at"})
    if {"body", "featured_image"} & set(changed):
        article_media_refresh(article=article)

    action, said = AuditEntry.Action.CHANGED, []
    if "status" in changed and article.status == Article.Status.PUBLISHED:
        action, said = AuditEntry.Action.PUBLISHED, ["Published."]
    elif "status" in changed and article.status == Article.Status.ARCHIVED:
        said = ["Archived."]
    others = [name for name in changed if not (said and name == "status")]
    if others:
        said.append(history_change_message(model=Article, fields=others))
    history_record(action=action, actor=by, target=article, message=" ".join(said))
    return article


def article_publish(*, article: Article, by: Any) -> Article:
    """Make the article public now (keeping its first publication time) and record who did."""
    return article_update(article=article, by=by, status=Article.Status.PUBLISHED)


def article_archive(*, article: Article, by: Any) -> Article:
    """Take the article out of lists and the feed; its address keeps working."""
    return article_update(article=article, by=by, status=Article.Status.ARCHIVED)


def article_delete(*, article: Article, by: Any) -> None:
    """Delete an item, recorded in the history first."""
    audited_delete(target=article, by=by)


def articles_delete(*, articles: Iterable[Article], by: Any) -> int:
    """Delete several items (the admin's "delete selected"): each recorded, all or none."""
    return audited_delete_many(targets=articles, by=by)


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
        # Numbered slugs would need a query per row: bulk callers name their own.
        article.slug = article.slug or slugify(article.title)[:200] or "untitled"
        _article_prepare(article)
    for start in range(0, len(articles), BATCH):
        batch = list(articles[start : start + BATCH])
        Article.objects.bulk_create(batch)
        if on_batch is not None:
            on_batch(len(batch))
    if not articles:
        return 0
    # Not every database hands back the new ids from a bulk insert: found by slug.
    using_media = [a.slug for a in articles if a.featured_image_id or "<" in (a.body or "")]
    for start in range(0, len(using_media), BATCH):
        for article in Article.objects.filter(slug__in=using_media[start : start + BATCH]):
            article_media_refresh(article=article)
    history_record(action=AuditEntry.Action.ADDED, actor=by,
                   message=f"{len(articles)} article(s) added in bulk.")  # fmt: skip
    transaction.on_commit(functools.partial(version_bump, name=Article._meta.label_lower))
    return len(articles)
