"""``PageCacheMiddleware``: a ``@cached_page`` hit served before the middleware it has no use for.

A hit on an anonymous public page is the same bytes for every such reader,
yet under the view decorator alone it went through the whole stack: CSP,
sessions, CSRF, authentication, two-factor, messages, the audit origin and
the database-fault retry each ran for a page that needed none of them. This
middleware sits right after SecurityMiddleware (which redirects plain HTTP
first and adds its headers to every answer). For a GET or HEAD without a
session or messages cookie it resolves the URL; when the view is a
``@cached_page`` one it reads the page and its version in the one call the
decorator makes, and a current page is answered from here.

What a hit carries is what the miss carried: on a miss the decorator leaves
the page to this middleware, which stores it with the headers every
middleware inside added (CSP, Permissions-Policy, Content-Language, Vary,
X-Frame-Options), and only if none of them set a cookie.

The reader's language is chosen as LocaleMiddleware chooses it (the
``django_language`` cookie, then Accept-Language) before LocaleMiddleware
runs; the decorator uses the lookup only when its own key, in the language
LocaleMiddleware activated, is the same. With PREPEND_WWW,
DISALLOWED_USER_AGENTS or language-prefixed URLs, which CommonMiddleware and
LocaleMiddleware would act on first, nothing is served from here.

Without this middleware the decorator serves and stores hits itself. A view
wrapped again outside ``@cached_page`` (``login_required``, say) is never
served from here: only the function the URL points at is trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import translation

from filamenta.caching import CachedPage

# (URLconf, path) -> the @cached_page it reaches, or None: resolving is a
# twentieth of a hit's time, and a path always reaches the same view.
_RESOLVED: dict[tuple[Any, str], CachedPage | None] = {}
# Bounded: any path a client makes up is remembered until this many are.
RESOLVED_MAX = 2048


class PageCacheMiddleware:
    """Answer current ``@cached_page`` hits early; store the pages rendered behind it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        page = _page_of(request)
        if page is None:
            return self.get_response(request)
        try:
            key, hit, stamp = page.lookup(request, translation.get_language_from_request(request))
        except DatabaseError:
            # The memory tier's versions are database rows: let the view's own
            # path, with the database-fault retry, answer this one.
            return self.get_response(request)
        if hit is not None:
            return page.replay(hit)
        request._page_cache_lookup = (page, key, stamp)  # type: ignore[attr-defined]
        response = self.get_response(request)
        page.store_final(request, response)
        return response


def _page_of(request: HttpRequest) -> CachedPage | None:
    """The ``@cached_page`` of the view this request reaches, if it applies to the request."""
    if request.method not in ("GET", "HEAD") or settings.PREPEND_WWW:
        return None
    if settings.DISALLOWED_USER_AGENTS:
        return None
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    where = (urlconf, request.path_info)
    try:
        page = _RESOLVED[where]
    except KeyError:
        page = _resolve(urlconf, request.path_info)
        if len(_RESOLVED) >= RESOLVED_MAX:
            _RESOLVED.clear()
        _RESOLVED[where] = page
    return page if page is not None and page.applies(request) else None


def _resolve(urlconf: Any, path: str) -> CachedPage | None:
    if is_language_prefix_patterns_used(urlconf)[0]:
        return None
    try:
        match = get_resolver(urlconf).resolve(path)
    except Resolver404:
        return None
    page = getattr(match.func, "page_cache", None)
    # functools.wraps copies attributes: a decorator outside @cached_page
    # would carry ``page_cache`` along, and its checks must not be skipped.
    if not isinstance(page, CachedPage) or page.wrapper is not match.func:
        return None
    return page
