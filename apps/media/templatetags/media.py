"""``{% responsive_image item sizes="…" %}``: an image with its renditions, from rows already read.

Renders ``<picture>`` with a WebP ``<source>`` and an ``<img>`` in the
original's format, both with ``srcset``/``sizes``; ``width``/``height`` are the
original's (the browser reserves the box before the file arrives) and
``loading="lazy"`` unless told otherwise. No inline style: the site's CSP
allows none. The renditions come from ``item.renditions.all()``, so a page
that prefetched them (the article selectors do) touches neither the database
nor the storage here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.media.body_urls import media_urls_current
from apps.media.models import MediaItem
from apps.media.renditions import (
    ORIGINAL_FORMATS,
    WEBP,
    image_candidates,
    image_src,
    image_srcset,
    rendition_pick,
)
from filamenta.site_url import canonical_origin

register = template.Library()

DEFAULT_SIZES = "(max-width: 960px) 100vw, 960px"
OPEN_GRAPH_WIDTH = 1200
LOADING = ("lazy", "eager")


def responsive_image_html(
    item: MediaItem | None,
    *,
    sizes: str = DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
    fallback_width: int = 960,
) -> SafeString:
    """The ``<picture>`` for ``item``; empty for no item or a document."""
    if item is None or not item.is_image or not item.file:
        return SafeString("")
    loading = loading if loading in LOADING else "lazy"
    original_format = ORIGINAL_FORMATS.get(item.content_type)
    webp, fallback = image_candidates(item)
    src = image_src(fallback, width=fallback_width)
    source = ""
    if webp and original_format != WEBP:
        source = format_html(
            '<source type="image/webp" srcset="{}" sizes="{}">',
            image_srcset(webp, always=True),
            sizes,
        )
    srcset = image_srcset(fallback)
    img_srcset = format_html(' srcset="{}" sizes="{}"', srcset, sizes) if srcset else ""
    return format_html(
        '<picture>{}<img src="{}"{} width="{}" height="{}" loading="{}" alt="{}"{}></picture>',
        source,
        src,
        img_srcset,
        item.width,
        item.height,
        loading,
        item.alt_text,
        format_html(' class="{}"', css_class) if css_class else "",
    )


@register.simple_tag
def responsive_image(
    item: MediaItem | None,
    sizes: str = DEFAULT_SIZES,
    loading: str = "lazy",
    css_class: str = "",
) -> SafeString:
    return responsive_image_html(item, sizes=sizes, loading=loading, css_class=css_class)


def absolute_media_url(url: str, request: HttpRequest | None) -> str | None:
    """``url`` made absolute for a page the cache keeps whole; None when that is not safe.

    An absolute MEDIA_URL (an object store's base URL) is already absolute.
    Otherwise the origin is the site's canonical one (``filamenta.site_url``:
    CANONICAL_ORIGIN, else the scheme and the ALLOWED_HOSTS entry the request
    matched), the same copy every reader of that page gets: never the
    client's own Host, port or spelling, which would land in the shared copy.
    An entry that is a pattern (``.example.com``, ``*``) names no single
    host, so without CANONICAL_ORIGIN there is no absolute URL to give.
    """
    if urlsplit(url).scheme in ("http", "https"):
        return url
    origin = canonical_origin(request)
    return f"{origin}{url}" if origin else None


def open_graph_picture(
    item: MediaItem | None, request: HttpRequest | None
) -> tuple[str, int | None, int | None, str] | None:
    """(absolute URL, width, height, content type) of ``item`` for link previews; None if none.

    The original's format (not WebP, which some link previews still refuse),
    at the narrowest rendition 1200 px wide or more (the size previews ask
    for), else the original. Open Graph and the JSON-LD ``image`` share it.
    """
    if item is None or not item.is_image or not item.file:
        return None
    picked = rendition_pick(item=item, width=OPEN_GRAPH_WIDTH)
    if picked is not None and picked.width >= OPEN_GRAPH_WIDTH:
        url, width, height, content_type = (
            picked.file.url,
            picked.width,
            picked.height,
            picked.content_type,
        )
    else:  # no copy that wide: the original, never smaller than its copies
        url, width, height, content_type = (
            item.file.url,
            item.width,
            item.height,
            item.content_type,
        )
    absolute = absolute_media_url(url, request)
    return None if absolute is None else (absolute, width, height, content_type)


@register.simple_tag(takes_context=True)
def open_graph_image(context: template.Context, item: MediaItem | None) -> SafeString:
    """``og:image`` (with type, width, height and alt) for a page's head, absolute."""
    picture = open_graph_picture(item, context.get("request"))
    if picture is None:
        return SafeString("")
    absolute, width, height, content_type = picture
    return format_html(
        '<meta property="og:image" content="{}">\n'
        '  <meta property="og:image:type" content="{}">\n'
        '  <meta property="og:image:width" content="{}">\n'
        '  <meta property="og:image:height" content="{}">\n'
        '  <meta property="og:image:alt" content="{}">',
        absolute,
        content_type,
        width,
        height,
        item.alt_text,
    )


@register.filter(name="media_urls_current")
def media_urls_current_filter(html: str) -> str:
    """``{{ article.body|media_urls_current|safe }}``: the body with its media at today's URLs
    (apps/media/body_urls.py); the body itself was sanitised when it was saved."""
    return media_urls_current(str(html or ""))
