"""The public site: home, the article list and one article."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.siteadmin.selectors import site_settings_get
from filamenta.caching import cached_page

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
