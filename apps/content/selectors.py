"""Reads for the public site, cached and invalidated whenever any article changes.

The cached values are plain lists and model instances (never querysets), so
a cache hit runs no query at all. What someone may edit (the admin's lists,
the draft preview) depends on who asks and is never cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone

from filamenta.caching import VALUES_ALIAS, cached, versions_get

from .models import Article, ArticleRevision

PUBLIC_TIMEOUT = 300
# A cached article carries its featured image and that image's renditions, so
# a change of either (a new alt text, a rendition made again) must miss too.
PUBLIC_DEPENDS_ON = (
    "content.Article",
    "content.Section",
    "taggit.Tag",
    "media.MediaItem",
    "media.Rendition",
)
LISTED_KINDS = (Article.Kind.ARTICLE, Article.Kind.POST)
CHANGE_PERMISSION = "content.change_article"
_UNKNOWN = object()
PUBLISH_PERMISSION = "content.publish_article"


def article_next_change() -> float | None:
    """The epoch second of the next scheduled publication or unpublication; None if none.

    What the clock alone changes on the public site: every cached read and
    page of published items passes this as ``until``, so a scheduled article
    appears at its time on every tier with no cron job or worker, and a page
    cached at 11:59 for five minutes is a miss at 12:00. Kept in the cache
    under the content version (a write recomputes it) until it passes: two
    indexed queries per write or per scheduled time, none per page.
    """
    (version,) = versions_get(names=("content.article",))
    key = f"content:next-change:{version}"
    store = caches[VALUES_ALIAS]
    found = store.get(key, _UNKNOWN)
    if found is not _UNKNOWN and (found is None or found > time.time()):
        return found
    now = timezone.now()
    times = [
        Article.objects.scheduled(now=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first(),
        Article.objects.filter(status=Article.Status.PUBLISHED, unpublish_at__gt=now)
        .order_by("unpublish_at")
        .values_list("unpublish_at", flat=True)
        .first(),
    ]
    found = min((t.timestamp() for t in times if t is not None), default=None)
    ttl = PUBLIC_TIMEOUT if found is None else max(1, math.ceil(found - time.time()))
    store.set(key, found, min(ttl, PUBLIC_TIMEOUT))
    return found


# Every cached read of what visitors see: invalidated by writes, bounded by the clock.
PUBLIC_CACHE = {
    "timeout": PUBLIC_TIMEOUT,
    "depends_on": PUBLIC_DEPENDS_ON,
    "until": article_next_change,
}


@dataclass(frozen=True)
class ArticlePage:
    items: list[Article]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _with_pictures(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Articles with their author, featured image and its renditions, read in two queries.

    The template tag ``responsive_image`` then builds each srcset from these
    rows: a page costs no query (and no storage call) per picture.
    """
    return articles.select_related("author", "featured_image").prefetch_related(
        "featured_image__renditions"
    )


def _listed():
    return _with_pictures(
        Article.objects.published().filter(kind__in=LISTED_KINDS).order_by("-published_at", "-id")
    )


@cached(**PUBLIC_CACHE)
def article_list_latest(*, limit: int) -> list[Article]:
    """The newest published articles and posts (home page, feed)."""
    return list(_listed()[:limit])


@cached(**PUBLIC_CACHE)
def article_list_page(*, number: int, per_page: int) -> ArticlePage | None:
    """One page of published articles and posts; None when the page does not exist."""
    paginator = Paginator(_listed(), per_page, allow_empty_first_page=True)
    if number < 1 or number > paginator.num_pages:
        return None
    page = paginator.page(number)
    return ArticlePage(
        items=list(page.object_list),
        number=number,
        num_pages=paginator.num_pages,
        count=paginator.count,
    )


@cached(**PUBLIC_CACHE)
def article_get_public(*, slug: str) -> Article | None:
    """A published or archived item by slug; drafts are never cached for the public."""
    return _with_pictures(Article.objects.public().filter(slug=slug)).first()


def article_list_editable(
    *, user: AbstractBaseUser | AnonymousUser, articles: QuerySet[Article] | None = None
) -> QuerySet[Article]:
    """The items ``user`` may edit: the one rule for the admin's lists and the draft preview.

    Editing takes admin access and the change permission; then those who may
    publish (editors, administrators) edit everything and authors only what
    they wrote. ``articles`` narrows a queryset of the caller's (the admin's,
    with its ordering); by default every item.
    """
    articles = Article.objects.all() if articles is None else articles
    if not (user.is_active and user.is_staff and user.has_perm(CHANGE_PERMISSION)):
        return articles.none()
    if user.has_perm(PUBLISH_PERMISSION):
        return articles
    return articles.filter(author=user)


def article_get_preview(*, slug: str, user: AbstractBaseUser | AnonymousUser) -> Article | None:
    """Any item by slug, drafts included, if ``user`` may edit it: uncached, for previews."""
    return _with_pictures(article_list_editable(user=user).filter(slug=slug)).first()


@cached(timeout=PUBLIC_TIMEOUT, depends_on=("content.Article",), until=article_next_change)
def article_list_sitemap() -> list[tuple[str, object]]:
    """(slug, last change) of every published item, pages included."""
    return list(
        Article.objects.published()
        .order_by("-published_at", "-id")
        .values_list("slug", "updated_at")
    )


@cached(timeout=PUBLIC_TIMEOUT, depends_on=("content.Article",), until=article_next_change)
def article_list_nav_pages() -> list[tuple[str, str]]:
    """(slug, title) of published pages, for the site's navigation."""
    return list(
        Article.objects.published()
        .filter(kind=Article.Kind.PAGE)
        .order_by("title")
        .values_list("slug", "title")[:8]
    )


# REVISIONS
# ------------------------------------------------------------------------------
# The admin's revision pages: never cached, since who asks decides what they
# see. Each read goes through ``article_list_editable`` in the same query, so a
# revision is visible exactly to those who may change its article.
_ID_MAX = 2**63 - 1  # a 64-bit primary key, the largest every database holds


def _whole_number(raw: object) -> int | None:
    """``raw`` as a positive id, or None for anything else ("abc", "1\\x00", 10**30)."""
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= _ID_MAX else None


def article_get_editable(
    *, user: AbstractBaseUser | AnonymousUser, article_id: object
) -> Article | None:
    """The item of id ``article_id`` (a URL's text) if ``user`` may change it; else None."""
    pk = _whole_number(article_id)
    if pk is None:
        return None
    return article_list_editable(user=user).filter(pk=pk).first()


def revision_list_for_article(
    *, article: Article, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[ArticleRevision]:
    """The revisions of ``article``, newest first, with who made them; none if ``user`` may not."""
    return (
        ArticleRevision.objects.filter(
            article_id=article.pk, article__in=article_list_editable(user=user)
        )
        .select_related("created_by")
        .order_by("-number")
    )


def revision_get(
    *, article: Article, number: object, user: AbstractBaseUser | AnonymousUser
) -> ArticleRevision | None:
    """Revision ``number`` (a URL's or a form's text) of ``article``, if ``user`` may see it."""
    value = _whole_number(number)
    if value is None or value > 2**31 - 1:  # the column is a 32-bit positive integer
        return None
    return (
        revision_list_for_article(article=article, user=user)
        .select_related("section", "featured_image")
        .filter(number=value)
        .first()
    )


def revision_previous(*, revision: ArticleRevision) -> ArticleRevision | None:
    """The revision before ``revision`` (the one its diff is shown against by default)."""
    return (
        ArticleRevision.objects.filter(article_id=revision.article_id, number__lt=revision.number)
        .select_related("created_by", "section", "featured_image")
        .order_by("-number")
        .first()
    )


def revision_latest(*, article: Article) -> ArticleRevision | None:
    """What ``article`` is now, as its newest revision."""
    return (
        ArticleRevision.objects.filter(article_id=article.pk)
        .select_related("created_by", "section", "featured_image")
        .order_by("-number")
        .first()
    )


@dataclass(frozen=True)
class RestorePlan:
    """What restoring a revision would set (``article_update``'s fields), and what it cannot."""

    fields: dict[str, Any]
    notes: list[str]


def revision_restore_plan(*, revision: ArticleRevision, article: Article, user: Any) -> RestorePlan:
    """The fields a restore of ``revision`` sets on ``article`` (as stored now), by the rules.

    What the rules keep is said rather than silently dropped: an address now
    used by another item, a section or picture since deleted (restored as
    none), a picture ``user`` may not use, and, for those who may not publish
    (authors), the status and publication times. Tags come back by name
    (``article_update`` recreates deleted ones). ``user`` None is a script.
    """
    from apps.media.selectors import media_list_visible

    fields: dict[str, Any] = {
        "title": revision.title,
        "body": revision.body,
        "kind": revision.kind,
        "meta_description": revision.meta_description,
        "tags": list(revision.tags or []),
    }
    notes: list[str] = []
    if Article.objects.filter(slug=revision.slug).exclude(pk=article.pk).exists():
        notes.append(
            f"The address “{revision.slug}” now belongs to another item: "
            f"this one keeps “{article.slug}”."
        )
    else:
        fields["slug"] = revision.slug

    fields["section"] = revision.section
    if revision.section_id is None and revision.section_name:
        notes.append(
            f"The section “{revision.section_name}” no longer exists: restored without a section."
        )

    image = revision.featured_image
    if image is not None and image.pk == article.featured_image_id:
        pass  # the article's picture already: nothing to set, nothing to check
    elif image is None:
        fields["featured_image"] = None
        if revision.featured_image_title:
            notes.append(
                f"The featured image “{revision.featured_image_title}” no longer exists: "
                "restored without one."
            )
    elif user is not None and not media_list_visible(user=user).filter(pk=image.pk).exists():
        notes.append(f"You may not use the featured image “{image}”: the current one is kept.")
    else:
        fields["featured_image"] = image

    publication = {
        "status": revision.status,
        "published_at": revision.published_at,
        "unpublish_at": revision.unpublish_at,
    }
    if user is None or user.has_perm(PUBLISH_PERMISSION):
        fields.update(publication)
    elif any(getattr(article, name) != value for name, value in publication.items()):
        notes.append(
            "The status and publication times are kept: changing them takes the right to publish."
        )
    return RestorePlan(fields=fields, notes=notes)
