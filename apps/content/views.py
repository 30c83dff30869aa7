"""The public site: home, the article list, one article, and the section and tag pages."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django_ratelimit.core import get_usage

from apps.siteadmin.selectors import site_settings_get
from filamenta.caching import cached_page

from .search import QUERY_MAX, article_search, search_terms
from .selectors import (
    TermPage,
    article_get_preview,
    article_get_public,
    article_list_latest,
    article_list_related,
    article_list_translations,
    article_next_change,
    section_get_page,
    tag_get_page,
)
from .selectors import article_list_page as select_page

# Every public page shows articles, their authors, sections, tags, featured
# images (alt text, title, renditions) and the site settings.
PAGE_DEPENDS_ON = (
    "content.Article",
    "content.Section",
    "taggit.Tag",
    "users.User",
    "siteadmin.SiteSettings",
    "media.MediaItem",
    "media.Rendition",
)
PAGE_TIMEOUT = 300
# Every public page: invalidated by writes, and never kept past the next
# scheduled publication or unpublication (``article_next_change``).
PUBLIC_PAGE = {"timeout": PAGE_TIMEOUT, "depends_on": PAGE_DEPENDS_ON, "until": article_next_change}


@cached_page(**PUBLIC_PAGE)
def home(request: HttpRequest) -> HttpResponse:
    articles = article_list_latest(limit=site_settings_get().items_per_page)
    return render(request, "content/home.html", {"articles": articles})


@cached_page(**PUBLIC_PAGE, query=("page",))
def article_list(request: HttpRequest) -> HttpResponse:
    page = select_page(number=page_number(request), per_page=site_settings_get().items_per_page)
    if page is None:
        raise Http404("No such page.")
    return render(request, "content/article_list.html", {"page": page})


@cached_page(**PUBLIC_PAGE)
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = article_get_public(slug=slug)
    if article is None and request.user.is_authenticated:
        # A draft is previewed by those who may edit it; to everyone else it does not exist.
        article = article_get_preview(slug=slug, user=request.user)
    if article is None:
        raise Http404("No article at this address.")
    related = article_list_related(article=article) if article.is_public else []
    translations = article_list_translations(article=article)
    response = render(
        request,
        "content/article_detail.html",
        {"article": article, "related": related, "translations": translations},
    )
    if not article.is_public:
        # A draft preview must never land in a shared cache, ours (cached_page
        # stores no private response) or one in front.
        response["Cache-Control"] = "private, no-store"
    return response


def page_number(request: HttpRequest) -> int:
    """``?page=``: a handful of ASCII digits; anything else is a page that does not exist."""
    raw = request.GET.get("page") or "1"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise Http404("No such page.")
    return int(raw)


@cached_page(**PUBLIC_PAGE, query=("page",))
def section_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A section's published items, newest first, by pages like /articles/."""
    number = page_number(request)
    found = section_get_page(slug=slug, number=number, per_page=site_settings_get().items_per_page)
    if found is None:
        raise Http404("No section at this address.")
    return _term_page(request, found=found, slug=slug, template="content/section_detail.html")


@cached_page(**PUBLIC_PAGE, query=("page",))
def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The published items with a tag, newest first; a tag no published item has is a 404."""
    number = page_number(request)
    found = tag_get_page(slug=slug, number=number, per_page=site_settings_get().items_per_page)
    if found is None or (found.page is not None and not found.page.count):
        raise Http404("No tag at this address.")
    return _term_page(request, found=found, slug=slug, template="content/tag_detail.html")


def _term_page(request: HttpRequest, *, found: TermPage, slug: str, template: str) -> HttpResponse:
    if found.term.slug != slug:
        # MariaDB/MySQL compare slugs without case or accents: one address per page.
        url = reverse(request.resolver_match.view_name, kwargs={"slug": found.term.slug})
        query = f"?page={found.page.number}" if found.page and found.page.number > 1 else ""
        return redirect(url + query, permanent=True)
    if found.page is None:
        raise Http404("No such page.")
    return render(request, template, {"term": found.term, "page": found.page})


SEARCH_RATE_GROUP = "content.search.ip"


def search(request: HttpRequest) -> HttpResponse:
    """``/search/?q=``: published items matching the words of ``q``, best first.

    Never page-cached: the query string is the visitor's own text, and a
    cache keyed on it could be filled without bound (the selector keeps
    popular queries briefly instead). Every query run counts against
    SEARCH_RATE_PER_IP, per client address as the sign-in limits count it.
    """
    query = (request.GET.get("q") or "")[:QUERY_MAX].replace("\x00", "").strip()
    context: dict[str, object] = {"query": query, "page": None}
    if not search_terms(query):
        return render(request, "content/search.html", context)
    raw = request.GET.get("page") or "1"
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise Http404("No such page.")
    usage = get_usage(
        request,
        group=SEARCH_RATE_GROUP,
        key="ip",
        rate=settings.SEARCH_RATE_PER_IP,
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        wait = int(usage["time_left"]) or 1
        response = render(
            request, "content/search.html", {**context, "retry_after": wait}, status=429
        )
        response["Retry-After"] = str(wait)
        response["Cache-Control"] = "no-store"
        return response
    page = article_search(query=query, page=int(raw), per_page=site_settings_get().items_per_page)
    if page is None:
        raise Http404("No such page.")
    return render(request, "content/search.html", {**context, "page": page})
