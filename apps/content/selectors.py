"""Reads for the public site, cached and invalidated whenever any article changes.

The cached values are plain lists and model instances (never querysets), so
a cache hit runs no query at all. What someone may edit (the admin's lists,
the draft preview) depends on who asks and is never cached.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from filamenta.caching import VALUES_ALIAS, cached, versions_get

from .models import Article, ArticleRevision, Section, TaggedArticle

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
    """Articles with their author, section, featured image and its renditions, in two queries.

    The template tag ``responsive_image`` then builds each srcset from these
    rows: a page costs no query (and no storage call) per picture.
    """
    return articles.select_related("author", "featured_image", "section").prefetch_related(
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
    return _page_of(_listed(), number=number, per_page=per_page)


@cached(**PUBLIC_CACHE)
def article_get_public(*, slug: str) -> Article | None:
    """A published or archived item by slug; drafts are never cached for the public."""
    return (
        _with_pictures(Article.objects.public().filter(slug=slug)).prefetch_related("tags").first()
    )


def article_list_translations(*, article: Article) -> list[Article]:
    """The public translations of ``article`` (its original and the original's
    other translations), one per language other than its own: what the page's
    ``<link rel="alternate" hreflang>`` and the sitemap's alternates name."""
    root_id = article.translation_of_id or article.pk
    found = (
        Article.objects.public()
        .filter(Q(pk=root_id) | Q(translation_of_id=root_id))
        .exclude(pk=article.pk)
        .exclude(language=article.language)
        .only("slug", "language", "title")
        .order_by("language", "pk")
    )
    seen: dict[str, Article] = {}
    for other in found:
        seen.setdefault(other.language, other)
    return list(seen.values())


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
    return (
        _with_pictures(article_list_editable(user=user).filter(slug=slug))
        .prefetch_related("tags")
        .first()
    )


@dataclass(frozen=True)
class SitemapEntry:
    """One published item in sitemap.xml, with the versions of it in other languages.

    ``alternates`` is (language, slug) for every published version, this one
    included, as search engines want each URL to list the whole set; it is empty
    when the item has no published translation.
    """

    slug: str
    updated_at: datetime
    language: str
    alternates: tuple[tuple[str, str], ...]


@cached(timeout=PUBLIC_TIMEOUT, depends_on=("content.Article",), until=article_next_change)
def article_list_sitemap() -> list[SitemapEntry]:
    """Every published item, pages included, newest first: one query for all of them.

    The translation sets come from the same rows (an original and the items that
    name it as ``translation_of``), one version per language, the oldest first:
    the rule ``article_list_translations`` follows for the page's hreflang links.
    """
    rows = list(
        Article.objects.published()
        .order_by("-published_at", "-id")
        .values_list("pk", "slug", "updated_at", "language", "translation_of_id")
    )
    versions: dict[int, dict[str, tuple[int, str]]] = {}
    for pk, slug, _updated, language, root in rows:
        chosen = versions.setdefault(root or pk, {})
        if language not in chosen or pk < chosen[language][0]:
            chosen[language] = (pk, slug)
    entries = []
    for pk, slug, updated, language, root in rows:
        chosen = versions[root or pk]
        alternates = (
            tuple(sorted((lang, found) for lang, (_pk, found) in chosen.items()))
            if len(chosen) > 1 and chosen[language][0] == pk
            else ()
        )
        entries.append(SitemapEntry(slug, updated, language, alternates))
    return entries


@cached(timeout=PUBLIC_TIMEOUT, depends_on=("content.Article",), until=article_next_change)
def article_list_nav_pages() -> list[tuple[str, str]]:
    """(slug, title) of published pages, for the site's navigation."""
    return list(
        Article.objects.published()
        .filter(kind=Article.Kind.PAGE)
        .order_by("title")
        .values_list("slug", "title")[:8]
    )


# SECTIONS, TAGS AND RELATED ARTICLES
# ------------------------------------------------------------------------------
# A section or tag page lists every published kind (pages too): putting an item
# in a section or giving it a tag is the editor saying where it is listed. The
# queries follow the indexes content_section_published (section, status,
# -published_at) and content_tagged_unique (tag, content_object).
RELATED_MAX = 3


@dataclass(frozen=True)
class TermPage:
    """One page of a section's or a tag's published items; ``page`` None past the last page."""

    term: Any
    page: ArticlePage | None


def _page_of(articles: QuerySet[Article], *, number: int, per_page: int) -> ArticlePage | None:
    paginator = Paginator(articles, per_page, allow_empty_first_page=True)
    if number < 1 or number > paginator.num_pages:
        return None
    page = paginator.page(number)
    return ArticlePage(
        items=list(page.object_list),
        number=number,
        num_pages=paginator.num_pages,
        count=paginator.count,
    )


def _published_newest_first(articles: QuerySet[Article]) -> QuerySet[Article]:
    return _with_pictures(articles.order_by("-published_at", "-id"))


@cached(**PUBLIC_CACHE)
def section_get_page(*, slug: str, number: int, per_page: int) -> TermPage | None:
    """A section and one page of its published items, newest first; None if no such section."""
    section = Section.objects.filter(slug=slug).first()
    if section is None:
        return None
    articles = _published_newest_first(Article.objects.published().filter(section=section))
    return TermPage(term=section, page=_page_of(articles, number=number, per_page=per_page))


@cached(**PUBLIC_CACHE)
def tag_get_page(*, slug: str, number: int, per_page: int) -> TermPage | None:
    """A tag and one page of its published items, newest first; None if no such tag.

    A tag that no published item carries yet comes back with an empty page:
    the view treats it as absent, so a draft's tags are not announced early.
    """
    from taggit.models import Tag

    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:
        return None
    articles = _published_newest_first(Article.objects.published().filter(tagged_items__tag=tag))
    return TermPage(term=tag, page=_page_of(articles, number=number, per_page=per_page))


@cached(**PUBLIC_CACHE)
def article_list_related(*, article: Article) -> list[Article]:
    """Up to three published items like ``article``: most shared tags, then same section.

    Newest first among equals; never the article itself. Any item sharing a
    tag ranks above one that only shares the section, so it takes at most
    two queries, each on an index rather than a scan of every published
    item: the items sharing a tag (grouped, from content_tagged_unique),
    then, if fewer than three, the section's newest others (from
    content_section_published). The key is the article alone: a change of
    its tags or section saves it, and any save of an article is a miss.
    """
    tag_ids = TaggedArticle.objects.filter(content_object_id=article.pk).values("tag_id")
    fields = ("title", "slug", "kind", "published_at")
    candidates = Article.objects.published().exclude(pk=article.pk)
    same_section: Any = Value(0, output_field=IntegerField())
    if article.section_id is not None:
        same_section = Case(
            When(section_id=article.section_id, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    related = list(
        candidates.filter(tagged_items__tag_id__in=tag_ids)
        .annotate(shared=Count("tagged_items"), same_section=same_section)
        .order_by("-shared", "-same_section", "-published_at", "-id")
        .only(*fields)[:RELATED_MAX]
    )
    if len(related) < RELATED_MAX and article.section_id is not None:
        # Fewer than three share a tag: that is all of them, so the rest share none.
        related += (
            candidates.filter(section_id=article.section_id)
            .exclude(pk__in=[item.pk for item in related])
            .order_by("-published_at", "-id")
            .only(*fields)[: RELATED_MAX - len(related)]
        )
    return related


@cached(**PUBLIC_CACHE)
def taxonomy_list_sitemap() -> list[tuple[str, str, object]]:
    """(url name, slug, last change) of every section and tag with a published item.

    The last change is the newest change among those items (or, for a
    section, of its own name and description when later). One cached call
    for both: the sitemap reads one cache version for them, not two.
    """
    sections = (
        Article.objects.published()
        .filter(section__isnull=False)
        .values("section__slug", "section__updated_at")
        .annotate(last=Max("updated_at"))
        .order_by("section__slug")
    )
    tags = (
        TaggedArticle.objects.filter(content_object__in=Article.objects.published().values("pk"))
        .exclude(tag__slug="")  # no address (a tag of punctuation only made before its fallback)
        .values("tag__slug")
        .annotate(last=Max("content_object__updated_at"))
        .order_by("tag__slug")
    )
    return [
        *(
            (
                "content:section_detail",
                row["section__slug"],
                max(row["last"], row["section__updated_at"]),
            )
            for row in sections
        ),
        *(("content:tag_detail", row["tag__slug"], row["last"]) for row in tags),
    ]


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
            _("The address “%(old)s” now belongs to another item: this one keeps “%(kept)s”.")
            % {"old": revision.slug, "kept": article.slug}
        )
    else:
        fields["slug"] = revision.slug

    fields["section"] = revision.section
    if revision.section_id is None and revision.section_name:
        notes.append(
            _("The section “%(name)s” no longer exists: restored without a section.")
            % {"name": revision.section_name}
        )

    image = revision.featured_image
    if image is not None and image.pk == article.featured_image_id:
        pass  # the article's picture already: nothing to set, nothing to check
    elif image is None:
        fields["featured_image"] = None
        if revision.featured_image_title:
            notes.append(
                _("The featured image “%(title)s” no longer exists: restored without one.")
                % {"title": revision.featured_image_title}
            )
    elif user is not None and not media_list_visible(user=user).filter(pk=image.pk).exists():
        notes.append(
            _("You may not use the featured image “%(title)s”: the current one is kept.")
            % {"title": image}
        )
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
            _(
                "The status and publication times are kept: changing them takes the right "
                "to publish."
            )
        )
    return RestorePlan(fields=fields, notes=notes)
