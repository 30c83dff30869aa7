"""The allow-list that article bodies pass through before they are stored.

Bodies are written by authors in the admin and shown to every visitor, so
anything that could run script is removed at write time (nh3 wraps the Rust
``ammonia`` sanitiser): only the tags, attributes and URL schemes below
survive. Sanitising on save, not on display, keeps every reader of the
database (feed, sitemap, exports) safe without remembering to clean.

nh3's ``url_schemes`` applies only to the attributes ammonia knows hold URLs
(``href``, ``src``, and a few on tags we do not allow), not to ``cite``; so
every URL attribute we keep also passes ``_drop_unsafe_urls``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
        "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
# No javascript:, data: or vbscript: URLs, whatever the tag.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# The attributes of ALLOWED_ATTRIBUTES whose value is a URL (on any tag, so
# that one added to the allow-list later is checked without a second edit).
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# Script and style content is dropped with its tag, not shown as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})


def sanitize_html(html: str) -> str:
    """Return ``html`` reduced to the allow-list; safe to mark as safe in a template."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        attribute_filter=_drop_unsafe_urls,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _drop_unsafe_urls(tag: str, attribute: str, value: str) -> str | None:
    """Keep a URL attribute only when it is relative or of an allowed scheme.

    ``value`` arrives decoded (entities resolved by the HTML parser).
    ``urlsplit`` finds the scheme the way browsers do (WHATWG): leading
    control characters and spaces, and tabs and newlines anywhere, are
    ignored, so ``java<TAB>script:`` is still ``javascript``.
    """
    if attribute not in URL_ATTRIBUTES:
        return value
    try:
        scheme = urlsplit(value).scheme
    except ValueError:  # e.g. an unclosed IPv6 bracket: no browser would follow it either
        return None
    return value if scheme in ("", *ALLOWED_URL_SCHEMES) else None
