"""The product's URLs plus bench-only views: the ceiling and forced cache misses."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.cache import cache_page

from apps.content.selectors import article_get_public, section_get_page, tag_get_page
from apps.content.views import article_detail, section_detail, tag_detail


def minimal(request: HttpRequest) -> HttpResponse:
    # The ceiling: the full middleware stack and URL resolution, no template,
    # no database, no cache. No page can be faster under the same server.
    return HttpResponse(b"ok", content_type="text/plain")


def uncached_article(request: HttpRequest, slug: str) -> HttpResponse:
    # The product's article view as the first reader after a change sees it:
    # no copy of the page (the view without its page cache), and bumping the
    # selector's version makes its cached read a miss, then the query runs and
    # the result is stored, on whichever tier is configured. The bump itself is
    # one increment on the versions store, which the report mentions.
    article_get_public.invalidate()
    return article_detail.__wrapped__(request, slug=slug)


def uncached_section(request: HttpRequest, slug: str) -> HttpResponse:
    # The same for a section's page: its one cached read (section, count, page) missed.
    section_get_page.invalidate()
    return section_detail.__wrapped__(request, slug=slug)


def uncached_tag(request: HttpRequest, slug: str) -> HttpResponse:
    tag_get_page.invalidate()
    return tag_detail.__wrapped__(request, slug=slug)


# The same article view under Django's stock page cache, side by side with ours:
# per-process on the memory tier, and it never sees a change before its timeout.
stock_article = cache_page(300, key_prefix="bench-stock")(article_detail.__wrapped__)


urlpatterns = [
    path("bench/stock/articles/<slug:slug>/", stock_article, name="bench-stock-article"),
    path("bench/minimal/", minimal, name="bench-minimal"),
    path("bench/uncached/articles/<slug:slug>/", uncached_article, name="bench-uncached-article"),
    path("bench/uncached/sections/<slug:slug>/", uncached_section, name="bench-uncached-section"),
    # <str:>: tags of any script; the product's own converter is registered by its URLconf.
    path("bench/uncached/tags/<str:slug>/", uncached_tag, name="bench-uncached-tag"),
    path("", include("filamenta.urls")),
]
