"""``{% canonical_link %}``, ``{% canonical_url … as url %}`` and ``{% article_json_ld %}``.

The absolute URLs come from ``filamenta.site_url``: the page cache keeps
these pages whole, so no part of them may come from the client's Host header.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.content.models import Article
from apps.content.seo import article_structured_data, json_ld_script
from apps.media.templatetags.media import open_graph_picture
from filamenta.site_url import absolute_url

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context, path: str = "", page: int = 1) -> str:
    """The page's absolute URL ("" when there is no safe origin).

    ``path`` defaults to the request's path (the mount point included), never
    its query string: a made-up query would otherwise land in the cached copy.
    A list's page number comes from the view (``page``), which keys the cache
    on it, and only past the first page.
    """
    request = context.get("request")
    if not path:
        if request is None:
            return ""
        path = request.path
    if isinstance(page, int) and page > 1:
        path = f"{path}?page={page}"
    return absolute_url(request, path) or ""


@register.simple_tag(takes_context=True)
def canonical_link(context: template.Context, path: str = "", page: int = 1) -> SafeString:
    url = canonical_url(context, path, page)
    return format_html('<link rel="canonical" href="{}">', url) if url else SafeString("")


@register.simple_tag(takes_context=True)
def article_json_ld(context: template.Context, article: Article, url: str = "") -> SafeString:
    """The article's schema.org data, with its featured image as Open Graph has it."""
    picture = open_graph_picture(article.featured_image, context.get("request"))
    site = context.get("site")
    return json_ld_script(
        article_structured_data(
            article=article,
            url=url or None,
            image=picture[0] if picture else None,
            site_name=getattr(site, "site_name", ""),
        )
    )
