"""What search engines and link previews read: robots.txt and an article's JSON-LD.

Every absolute URL here comes from ``filamenta.site_url`` (never the client's
Host header): these land in pages the cache shares between readers.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from filamenta.caching import cached_page
from filamenta.site_url import absolute_url

from .models import Article

ROBOTS_TIMEOUT = 3600
HEADLINE_MAX = 110  # what Google's Article rich results read of a headline
# As django.utils.html.json_script: no "<", ">" or "&" survives, so neither
# "</script>" nor "<!--" in a title can end or change the script element.
_JSON_SCRIPT_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


@cached_page(timeout=ROBOTS_TIMEOUT)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """``/robots.txt``: everything but the admin, and where the sitemap is.

    Mount-point aware (``reverse``): under a sub-path this file is not at the
    host's root, where crawlers look, so the README says to copy its lines
    there. Without a safe origin (a pattern in ALLOWED_HOSTS and no
    CANONICAL_ORIGIN) the Sitemap line, which must be absolute, is left out.
    """
    lines = ["User-agent: *", f"Disallow: {reverse('admin:index')}"]
    sitemap = absolute_url(request, reverse("content:sitemap"))
    if sitemap:
        lines.append(f"Sitemap: {sitemap}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _when(value: Any) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def article_structured_data(
    *, article: Article, url: str | None, image: str | None, site_name: str
) -> dict[str, Any]:
    """schema.org ``Article`` (``WebPage`` for a page) for ``article``, as Google reads it."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "WebPage" if article.kind == Article.Kind.PAGE else "Article",
        "headline": Truncator(article.title).chars(HEADLINE_MAX),
        "description": article.description,
        "dateModified": _when(article.updated_at),
        "publisher": {"@type": "Organization", "name": site_name},
    }
    if article.published_at:
        data["datePublished"] = _when(article.published_at)
    if article.author:
        data["author"] = {"@type": "Person", "name": str(article.author)}
    if image:
        data["image"] = [image]
    if url:
        data["url"] = url
        data["mainEntityOfPage"] = {"@type": "WebPage", "@id": url}
    return data


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """``<script type="application/ld+json">`` holding ``data``, safe for any text in it.

    A data block, not a script: browsers never run it, so the CSP's
    ``script-src 'self'`` does not apply (tests/browser measures it).
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(_JSON_SCRIPT_ESCAPES)),  # noqa: S308 - escaped just above
    )
