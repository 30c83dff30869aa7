"""The public site: home, the article list and one article."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from apps.siteadmin.selectors import site_settings_get
from filamenta.caching import cached_page

from .search import QUERY_MAX, article_search, search_terms
from .selectors import (
    article_get_preview,
    article_get_public,
    article_list_latest,
    article_next_change,
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
    raw = request.GET.get("page") or "1"
    # A page number is a handful of digits; anything else is a page that does not exist.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise Http404("No such page.")
    page = select_page(number=int(raw), per_page=site_settings_get().items_per_page)
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
    response = render(request, "content/article_detail.html", {"article": article})
    if not article.is_public:
        # A draft preview must never land in a shared cache, ours (cached_page
        # stores no private response) or one in front.
        response["Cache-Control"] = "private, no-store"
    return response


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
