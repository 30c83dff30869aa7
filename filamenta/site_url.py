"""The site's own absolute address, for what must name it whole: canonical URLs,
Open Graph and JSON-LD, robots.txt's Sitemap line.

Public pages are kept whole in the shared page cache (``cached_page``), so an
absolute URL on them must be the same for every reader of that copy: never
built from the client's Host header, whose port, spelling and (under a pattern
such as ``.example.com``) whole name are the client's to choose. The origin is
``CANONICAL_ORIGIN`` when set; else the request's scheme and the ALLOWED_HOSTS
entry its host matched (``canonical_host``, what the cache keys on); else,
for an entry that is a pattern, none: a page then leaves the absolute URL out
rather than guess. The path comes from ``reverse()``, so a sub-path mount
(APPLICATION_ROOT, Passenger's base URI) is in it already.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import environ
from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.http import HttpRequest


def canonical_origin_from_env(env: environ.Env) -> str:
    """``CANONICAL_ORIGIN`` as ``scheme://host[:port]`` (lower case, no slash), or "" when unset.

    Anything but an http(s) origin stops start-up naming the variable: a path
    (the mount point is APPLICATION_ROOT's), a query, a user name or a bad port
    would otherwise end up in every canonical URL.
    """
    raw = env.str("CANONICAL_ORIGIN", default="").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is no port
        valid = (
            parts.scheme in ("http", "https")
            and re.fullmatch(r"[a-z0-9.-]+|[0-9a-f:.]+", parts.hostname or "") is not None
            and parts.username is None
            and parts.path in ("", "/")
            and not parts.query
            and not parts.fragment
            and raw.isascii()
        )
    except ValueError:
        valid = False
    if not valid:
        raise ImproperlyConfigured(
            f"CANONICAL_ORIGIN={raw!r} is not an origin: give the scheme and host only, "
            "such as https://www.example.com (a port may follow; a sub-path goes in "
            "APPLICATION_ROOT)."
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def canonical_origin(request: HttpRequest | None) -> str | None:
    """``scheme://host`` for absolute URLs on a page anyone may share; None when unsafe."""
    # Imported here: settings import this module, and the cache module imports Django's.
    from filamenta.caching import canonical_host

    configured = getattr(settings, "CANONICAL_ORIGIN", "")
    if configured:
        return configured
    if request is None:
        return None
    try:
        host = canonical_host(request)
    except DisallowedHost:  # the 400 page of a host that is not allowed
        return None
    if host.startswith(".") or "*" in host:
        return None
    return f"{request.scheme}://{host}"


def absolute_url(request: HttpRequest | None, location: str) -> str | None:
    """``location`` (a path from ``reverse()``) on the canonical origin; None without one."""
    origin = canonical_origin(request)
    return f"{origin}{location}" if origin else None
