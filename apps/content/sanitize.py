"""The allow-list that article bodies pass through before they are stored.

Bodies are written by authors in the admin and shown to every visitor, so
anything that could run script is removed at write time (nh3 wraps the Rust
``ammonia`` sanitiser): only the tags, attributes and URL schemes below
survive. Sanitising on save, not on display, keeps every reader of the
database (feed, sitemap, exports) safe without remembering to clean.

nh3's ``url_schemes`` applies only to the attributes ammonia knows hold URLs
(``href``, ``src``, and a few on tags we do not allow), not to ``cite`` or
``srcset``; so every URL attribute we keep also passes ``_drop_unsafe_urls``.

Images are what the rich-text editor inserts from the media library
(``<figure><img src srcset sizes width height alt loading><figcaption>``):
an image loads from the visitor's browser, so one from another host tells
that host who reads what, and can change under us. It is kept only when every
URL it would load is our own media (``media_prefixes``), unless the site's
``allow_external_images`` setting says otherwise; ``data:`` never passes.

A URL naming one of our stored files in any form a storage of ours wrote
(``/media/…`` from a disk site, a bucket's URL, signed or not, even on a host
that is not ours) is first rewritten to the current storage's URL of that
file, unsigned (``apps.media.body_urls``): it then loads from our storage,
never from the host it named, and is our own media whatever storage wrote it.
Only names that a MediaItem or Rendition really has are rewritten; a made-up
``/images/<key>/x.png`` on another host stays foreign.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

import nh3
from django.conf import settings
from django.core.files.storage import default_storage

from apps.media.body_urls import (
    media_attribute_rewrite,
    media_name_of,
    media_names_stored,
    media_url_canonical,
    srcset_candidates,
)

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
    "img": {"src", "srcset", "sizes", "alt", "title", "width", "height", "loading"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
# No javascript:, data: or vbscript: URLs, whatever the tag.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# The attributes of ALLOWED_ATTRIBUTES whose value is a URL (on any tag, so
# that one added to the allow-list later is checked without a second edit).
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "srcset"})
# The attributes whose URLs an image loads by itself, without a click.
IMAGE_URL_ATTRIBUTES = frozenset({"src", "srcset"})
# What the other image attributes may hold: pixels, and the two loading hints.
IMAGE_DIMENSION = re.compile(r"[0-9]{1,5}")
IMAGE_LOADING = frozenset({"lazy", "eager"})
SRCSET_DESCRIPTOR = re.compile(r"[0-9]{1,5}w|[0-9]{1,2}(?:\.[0-9]{1,3})?x")
# Script and style content is dropped with its tag, not shown as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript"})


def sanitize_html(html: str, *, allow_external_images: bool = False) -> str:
    """Return ``html`` reduced to the allow-list; safe to mark as safe in a template.

    ``allow_external_images`` is the site setting of that name (the article
    services pass it): without it, an ``<img>`` loading anything but our own
    media is removed. The default is the strict one, so a caller that forgets
    it refuses rather than lets through.
    """
    prefixes = media_prefixes()
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        attribute_filter=_attribute_filter(
            media=prefixes,
            allow_external_images=allow_external_images,
            stored=functools.cache(lambda: media_names_stored(html)),
        ),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return _IMG_TAG.sub(_drop_image_without_source, cleaned)


def media_prefixes() -> tuple[str, ...]:
    """Where our own media lives: MEDIA_URL, and the storage's base URL when it differs.

    Read on each call, not at import: MEDIA_URL takes the script prefix of the
    request being served (``/filamenta/media/`` under a sub-path), and tests
    and hosts change the storage. A relative MEDIA_URL gives a root-relative
    prefix; an absolute one (an object store or a CDN of ours) gives
    ``https://host/path/``, which also stands for its scheme-relative form.
    """
    found = [str(settings.MEDIA_URL)]
    base_url = getattr(default_storage, "base_url", None)
    if isinstance(base_url, str) and base_url:
        found.append(base_url)
    else:
        # Object stores (django-storages) have no base_url: ask for one name's URL.
        try:
            probe = default_storage.url("p")
        except Exception:  # a store without credentials yet, or not reachable: MEDIA_URL stands
            probe = ""
        parts = urlsplit(probe)
        if parts.netloc and parts.path.endswith("/p"):
            found.append(f"{parts.scheme}://{parts.netloc}{parts.path[:-1]}")
    return tuple(dict.fromkeys(_normal_prefix(prefix) for prefix in found if prefix))


def _normal_prefix(prefix: str) -> str:
    if not prefix.endswith("/"):
        prefix += "/"
    parts = urlsplit(prefix)
    if parts.netloc:
        return f"//{parts.netloc.lower()}{parts.path}"
    return prefix if prefix.startswith("/") else "/" + prefix


def is_own_media(url: str, *, media: tuple[str, ...]) -> bool:
    """Whether ``url`` is a file of our media: under one of ``media`` and never climbing out.

    A path-relative URL ("media/x.jpg") resolves against the article's own
    address, so it is not ours; "..", "." and backslashes (which browsers read
    as slashes) are refused anywhere in the path, encoded or not.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc):
        return False
    path = unquote(parts.path)
    if "\\" in path or any(segment in (".", "..") for segment in path.split("/")):
        return False
    where = f"//{parts.netloc.lower()}{path}" if parts.netloc else path
    return any(where.startswith(prefix) for prefix in media)


def srcset_urls(value: str) -> list[str] | None:
    """The candidate URLs of a ``srcset``, or None when it cannot be read.

    After the HTML standard's parsing (``srcset_candidates``). Anything but a
    width ("480w") or density ("2x") descriptor makes it unreadable (a browser
    would skip it; we refuse it), and None makes the caller drop the attribute.
    """
    candidates = srcset_candidates(value)
    if not all(SRCSET_DESCRIPTOR.fullmatch(d) for _s, _e, text in candidates for d in text.split()):
        return None
    return [value[start:end] for start, end, _text in candidates]


def _attribute_filter(
    *,
    media: tuple[str, ...],
    allow_external_images: bool,
    stored: Callable[[], frozenset[str]] = frozenset,
) -> Callable[[str, str, str], str | None]:
    def canonical(url: str) -> str:
        # Asked of the database (once per body) only for a URL that names a file of
        # ours in another form than today's: most bodies cost no query here.
        if media_name_of(url) is None or (is_own_media(url, media=media) and "?" not in url):
            return url
        return media_url_canonical(url, stored=stored())

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute in ("width", "height"):
            return value if IMAGE_DIMENSION.fullmatch(value.strip()) else None
        if tag == "img" and attribute == "loading":
            return value if value.strip().lower() in IMAGE_LOADING else None
        if attribute not in URL_ATTRIBUTES:
            return value
        value = media_attribute_rewrite(value, attribute=attribute, resolve=canonical)
        urls = srcset_urls(value) if attribute == "srcset" else [value]
        if not urls or not all(_is_safe_url(url) for url in urls):
            return None
        foreign = not all(is_own_media(url, media=media) for url in urls)
        if tag == "img" and attribute in IMAGE_URL_ATTRIBUTES and foreign:
            return value if allow_external_images else None
        return value

    return keep


def _is_safe_url(value: str) -> bool:
    """Whether a URL is relative or of an allowed scheme.

    ``value`` arrives decoded (entities resolved by the HTML parser).
    ``urlsplit`` finds the scheme the way browsers do (WHATWG): leading
    control characters and spaces, and tabs and newlines anywhere, are
    ignored, so ``java<TAB>script:`` is still ``javascript``.
    """
    try:
        scheme = urlsplit(value).scheme
    except ValueError:  # e.g. an unclosed IPv6 bracket: no browser would follow it either
        return False
    return scheme in ("", *ALLOWED_URL_SCHEMES)


# nh3 writes every tag back in one form (attribute values double-quoted, '"'
# escaped), so an <img> tag can be matched exactly in its output. An image
# whose source the filter refused is removed: it would show as a broken image.
# Only a tidying: the refused URL is already gone whether or not this matches.
_IMG_TAG = re.compile(r'<img(?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*\s*/?>')


def _drop_image_without_source(match: re.Match[str]) -> str:
    return match.group(0) if ' src="' in match.group(0) else ""
