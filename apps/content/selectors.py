"""Reads for the public site, cached and invalidated whenever any article changes.

The cached values are plain lists and model instances (never querysets), so
a cache hit runs no query at all. What someone may edit (the admin's lists,
the draft preview) depends on who asks and is never cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import timezone

from filamenta.caching import VALUES_ALIAS, cached, versions_get

from .models import Article

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
