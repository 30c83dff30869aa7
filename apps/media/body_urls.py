"""Media URLs inside article bodies: always the storage's current URL of each of our files.

A body keeps the URL the editor inserted: ``/media/images/<key>/<name>`` on a
disk site, the bucket's URL (signed, with ``X-Amz-*`` parameters that expire
after ``expire`` seconds) on a fleet. So a body outlives its URLs: a site moved
from disk to a bucket (site_export/site_import) would point every body image
at a /media/ that no longer exists, and a signed URL stops loading an hour
after the article was saved. Featured images never had the problem: they are
built from the MediaItem at render time; this module does the same for bodies.

A URL names one of our files when its path ends with a stored name,
``<folder>/<key.hex>/<file>`` (``images/…``, ``documents/…``, ``renditions/…``:
apps/media/services.py, renditions.py), and that name is exactly the ``file``
of a MediaItem or of one of its Renditions. Whatever host or prefix the URL
had, it is then replaced by what the storage says now (``storage.url(name)``,
signed afresh on S3), keeping only its ``#fragment``. That is safe on any
host: the result loads from our storage, never from the host the URL named
(a key is 128 random bits that only our upload service issues). Everything
else, including a URL with a real key but a name we did not store, is left
as it is, byte for byte.

- :func:`media_urls_current` at render time (article page, feed, the admin's
  editor), with signatures.
- :func:`media_url_canonical` at save time (the sanitiser): the same URL
  without its signature, so stored bodies carry no expiring query and no
  access key id, and the sanitiser sees our own media whatever storage wrote it.
"""

from __future__ import annotations

import html as html_module
import re
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

from django.core.files.storage import default_storage

from .models import MediaItem

# A key as the upload service writes it into every stored name: a path segment.
_KEY_IN_TEXT = re.compile(r"/([0-9a-f]{32})/")
_KEY = re.compile(r"[0-9a-f]{32}")
# nh3 writes every tag back in one form, but a body may come from elsewhere
# (an import, an older version): any quoting, any case.
_TAG = re.compile(
    r"<(?P<tag>img|source|a)\b(?P<attrs>(?:\s+[^\s\"'>/=]+"
    r"(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*/?>",
    re.IGNORECASE,
)
_ATTRIBUTE = re.compile(
    r"(?P<space>\s+)(?P<name>[^\s\"'>/=]+)"
    r"(?:(?P<equals>\s*=\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?"
)
URL_ATTRIBUTES = {"img": ("src", "srcset"), "source": ("srcset",), "a": ("href",)}
# A bucket's pre-signed query: SigV4's X-Amz-* and SigV2's AWSAccessKeyId/Signature/Expires.
_SIGNATURE_PARAM = re.compile(r"(?:X-Amz-[A-Za-z-]+|AWSAccessKeyId|Signature|Expires)(?:=|$)")


def media_name_of(url: str) -> str | None:
    """The stored name a URL's path ends with (``images/<key>/x.webp``), or None.

    Only the form our storages write: an http(s), scheme-relative or relative
    URL whose path has a key segment with one folder before it and the file
    after it. Whether the name is really stored is :func:`media_names_stored`'s.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("", "http", "https"):
        return None
    segments = unquote(parts.path).split("/")
    # The key is the second-last segment but one for every name we store
    # (<folder>/<key>/<file>); a folder of its own after the key is not ours.
    if len(segments) < 3 or not _KEY.fullmatch(segments[-2]) or not segments[-3]:
        return None
    if not segments[-1] or "\\" in segments[-1] or segments[-1] in (".", ".."):
        return None
    return "/".join(segments[-3:])


def media_names_stored(html: str) -> frozenset[str]:
    """The stored names (originals and renditions) of the items whose keys ``html`` mentions.

    One query for the whole body, however many images it has, and none when
    it mentions no key (most bodies).
    """
    keys = {uuid.UUID(key) for key in _KEY_IN_TEXT.findall(html or "")}
    if not keys:
        return frozenset()
    rows = MediaItem.objects.filter(key__in=keys).values_list("file", "renditions__file")
    return frozenset(name for row in rows for name in row if name)


def media_url_current(url: str, *, stored: frozenset[str]) -> str:
    """``url`` as the storage serves its file now (signed afresh), or ``url`` itself if not ours."""
    return _resolved(url, stored=stored, signed=True)


def media_url_canonical(url: str, *, stored: frozenset[str]) -> str:
    """``url`` as the storage serves its file now, without a signature, or ``url`` if not ours.

    What a body keeps: :func:`media_urls_current` signs it again on each render.
    """
    return _resolved(url, stored=stored, signed=False)


def _resolved(url: str, *, stored: frozenset[str], signed: bool) -> str:
    name = media_name_of(url) if stored else None
    if name is None or name not in stored:
        return url
    now = default_storage.url(name)
    parts = urlsplit(now)
    query = parts.query
    if not signed and query:
        query = "&".join(p for p in query.split("&") if not _SIGNATURE_PARAM.match(p))
    fragment = urlsplit(url.strip()).fragment
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment or parts.fragment))


def srcset_candidates(value: str) -> list[tuple[int, int, str]]:
    """Each candidate of a ``srcset`` as (URL start, URL end, its descriptors), read as the
    HTML standard reads it: a URL (no spaces; a trailing comma ends it) followed by optional
    descriptors up to the next comma. The sanitiser checks the descriptors
    (``apps.content.sanitize.srcset_urls``); the rewrite keeps everything but the URLs."""
    candidates, position, length = [], 0, len(value)
    while position < length:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= length:
            break
        start = position
        while position < length and not value[position].isspace():
            position += 1
        end = position
        while end > start and value[end - 1] == ",":
            end -= 1
        descriptors = ""
        if end == position:
            while position < length and value[position] != ",":
                position += 1
            descriptors = value[end:position]
        candidates.append((start, end, descriptors))
    return candidates


def media_attribute_rewrite(value: str, *, attribute: str, resolve: Callable[[str], str]) -> str:
    """An attribute's value (decoded) with each URL passed through ``resolve``."""
    if attribute != "srcset":
        return resolve(value)
    out, last = [], 0
    for start, end, _descriptors in srcset_candidates(value):
        out += [value[last:start], resolve(value[start:end])]
        last = end
    return "".join([*out, value[last:]])


def media_urls_current(html: str) -> str:
    """``html`` with each URL of our media files at the storage's current URL, signed afresh.

    For every body shown: ``src``/``srcset`` of ``<img>``, ``srcset`` of
    ``<source>``, ``href`` of ``<a>``. Other attributes, other tags, other URLs
    and all the bytes around them are returned as they were.

    The cost is one query (none for a body that mentions no key) plus one
    ``storage.url()`` per distinct URL: on disk a string join, on S3 a local
    SigV4 signature by botocore (no request), about 0.35 ms each. Measured with
    timeit on a body of 20 images, each with a srcset of 8 renditions (180
    URLs), SQLite, on the 2-core CI machine under a load average of 5 to 10:
    7 to 11 ms on disk, 67 to 107 ms on S3, 3 µs for a body without media.
    That is paid once per page per cache period: public pages are page-cached
    (apps/content/views.py PAGE_TIMEOUT, 300 s) and a signed URL outlives that
    cache (filamenta/media_storage.py MIN_EXPIRE), as the featured image's
    ``{% responsive_image %}``, which signs each of its URLs the same way.
    """
    if not html or not _KEY_IN_TEXT.search(html):
        return html
    stored = media_names_stored(html)
    if not stored:
        return html

    # An image's original is often both its src and its widest srcset candidate.
    resolved: dict[str, str] = {}

    def resolve(url: str) -> str:
        if url not in resolved:
            resolved[url] = media_url_current(url, stored=stored)
        return resolved[url]

    def tag(match: re.Match[str]) -> str:
        wanted = URL_ATTRIBUTES[match.group("tag").lower()]
        attrs = match.group("attrs")
        rewritten = _ATTRIBUTE.sub(lambda a: _attribute(a, wanted, resolve), attrs)
        if rewritten == attrs:
            return match.group(0)
        start, end = match.span("attrs")
        whole = match.group(0)
        base = match.start()
        return whole[: start - base] + rewritten + whole[end - base :]

    return _TAG.sub(tag, html)


def _attribute(match: re.Match[str], wanted: Iterable[str], resolve: Callable[[str], str]) -> str:
    name, raw = match.group("name"), match.group("value")
    if raw is None or name.lower() not in wanted:
        return match.group(0)
    quoted = raw[:1] in ('"', "'")
    value = html_module.unescape(raw[1:-1] if quoted else raw)
    new = media_attribute_rewrite(value, attribute=name.lower(), resolve=resolve)
    if new == value:
        return match.group(0)
    escaped = html_module.escape(new, quote=True)
    return f'{match.group("space")}{name}{match.group("equals")}"{escaped}"'
