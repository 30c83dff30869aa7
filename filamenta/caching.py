"""``@cached``: memoise a function in the site cache, invalidated when its models change.

    @cached(timeout=300, depends_on=("users.User",))
    def user_display_name(*, user_id: int) -> str: ...

    user_display_name.invalidate()   # forget every result of this function

The key holds the function's dotted name, its arguments and a version number
per dependency. Saving or deleting any instance of a ``depends_on`` model bumps
that model's version, so every result that depended on it is missed from then
on (and expires by itself); nothing has to know which keys to delete.

The versions live in the "ratelimit" alias, not in "default": it is the one
alias that is shared by every process and atomic on every tier (on the memory
tier "default" is per process, and a version bumped there would be invisible
to the other workers). A version that is missing (evicted, flushed after a
Redis outage) restarts from the clock, never from a number used before.

The bump also runs when the transaction commits: a result computed by another
process between the save and the commit saw the old rows and must not survive.

``@cached_page`` does the same for a whole public page (see its docstring).

``until`` bounds a result's life by the clock as well: a callable that gives
the epoch second when the data may change without any write (the next
scheduled publication), or None. A result is stored no longer than that and
is a miss from that second on, so nothing needs a job to expire it.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils.cache import patch_vary_headers
from django.utils.http import is_same_domain

P = ParamSpec("P")
R = TypeVar("R")

VALUES_ALIAS = "default"
VERSIONS_ALIAS = "ratelimit"
_MISS = object()


def _version_key(name: str) -> str:
    return f"cached:version:{name}"


def versions_get(*, names: Iterable[str]) -> list[int]:
    """The current version of each name, creating the missing ones."""
    store = caches[VERSIONS_ALIAS]
    keys = [_version_key(n) for n in names]
    found = store.get_many(keys)
    for key in keys:
        if key not in found:
            store.add(key, time.time_ns(), timeout=None)
            found[key] = store.get(key, 0)
    return [found[key] for key in keys]


def version_bump(*, name: str) -> None:
    """Make every result that depended on ``name`` a miss from now on."""
    store = caches[VERSIONS_ALIAS]
    key = _version_key(name)
    try:
        store.incr(key)
    except ValueError:
        store.add(key, time.time_ns(), timeout=None)


def _model_changed(sender: type[models.Model], **kwargs: Any) -> None:
    name = sender._meta.label_lower
    version_bump(name=name)
    transaction.on_commit(
        functools.partial(version_bump, name=name), using=kwargs.get("using") or "default"
    )


def _watch(label: str) -> None:
    # A lazy sender ("app_label.Model") lets decorated functions be defined
    # before the app registry is ready; dispatch_uid keeps one receiver per model.
    for signal in (post_save, post_delete):
        signal.connect(
            _model_changed, sender=label, weak=False, dispatch_uid=f"cached:{label.lower()}"
        )


def _key_part(value: Any) -> str:
    if isinstance(value, models.Model):
        return f"<{value._meta.label_lower}:{value.pk!r}>"
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_key_part(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_key_part(v)}" for k, v in sorted(value.items())) + "}"
    raise TypeError(
        f"@cached cannot build a key from a {type(value).__name__}: pass str, numbers, "
        "model instances, or lists, tuples and dicts of them"
    )


Until = Callable[[], float | None]


def _lifetime(*, timeout: int, until: Until | None) -> tuple[float | None, int]:
    """(the epoch second a result stops being valid, or None; how long to store it)."""
    ends = until() if until is not None else None
    if ends is None:
        return None, timeout
    # At least a second: a cache takes whole seconds, and the check on read is exact.
    return ends, max(1, min(timeout, math.ceil(ends - time.time())))


def _fresh(ends: float | None) -> bool:
    return ends is None or time.time() < ends


def cached(
    *, timeout: int, depends_on: Iterable[str] = (), until: Until | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Memoise in the default cache for ``timeout`` seconds; see the module docstring."""
    labels = tuple(depends_on)
    for label in labels:
        _watch(label)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        name = f"{func.__module__}.{func.__qualname__}"
        version_names = (f"function:{name}", *(label.lower() for label in labels))

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            versions = versions_get(names=version_names)
            raw = f"{_key_part(args)}|{_key_part(kwargs)}|{versions}"
            key = f"cached:{name[-120:]}:{hashlib.sha256(raw.encode()).hexdigest()}"
            store = caches[VALUES_ALIAS]
            hit = store.get(key, _MISS)
            if hit is not _MISS and _fresh(hit[0]):
                return hit[1]
            # The bound is read before the data: a change that lands between the
            # two is a write, and a write bumps a version.
            ends, ttl = _lifetime(timeout=timeout, until=until)
            value = func(*args, **kwargs)
            store.set(key, (ends, value), ttl)
            return value

        def invalidate() -> None:
            version_bump(name=f"function:{name}")

        wrapper.invalidate = invalidate  # type: ignore[attr-defined]
        return wrapper

    return decorate


# Headers of a view's own response worth replaying; middleware adds the rest
# (security headers, Vary) on every response, hit or miss.
_REPLAYED_HEADERS = ("Content-Type", "Content-Language", "Last-Modified")
MESSAGES_COOKIE = CookieStorage.cookie_name


def cached_page(
    *,
    timeout: int,
    depends_on: Iterable[str] = (),
    query: Iterable[str] = (),
    until: Until | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Serve a public page's HTML from the site cache to visitors without a session.

    Rendering is most of a cached page's cost once its data is cached, so the
    public pages keep their HTML too. Only GET and HEAD from a visitor with no
    session cookie are served or stored: a signed-in reader (staff seeing
    drafts, a flash message) always gets a fresh render. Only a 200 that sets
    no cookie and is not ``Cache-Control: private`` is stored. The key holds the
    scheme, the ALLOWED_HOSTS entry the host matched (:func:`canonical_host`),
    the mount point and path, plus only the ``query`` parameters the view
    reads, so neither made-up query strings nor made-up Host ports and
    spellings can fill the cache.

    Invalidation is the same as ``@cached``: one version per ``depends_on``
    model, read in one round trip beside the page, and ``until`` (module
    docstring) for what the clock changes. The undecorated view stays
    reachable as ``view.__wrapped__``.
    """
    labels = tuple(depends_on)
    params = tuple(query)
    for label in labels:
        _watch(label)
    # A session (signed in, drafts, a form's state) or a pending flash message
    # makes the page personal.
    personal_cookies = frozenset({settings.SESSION_COOKIE_NAME, MESSAGES_COOKIE})

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        name = f"{view.__module__}.{view.__qualname__}"
        version_names = (f"page:{name}", *(label.lower() for label in labels))

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD") or personal_cookies & request.COOKIES.keys():
                return view(request, *args, **kwargs)
            chosen = [(p, request.GET.getlist(p)) for p in params if p in request.GET]
            raw = f"{request.scheme}://{canonical_host(request)}{request.path}|{chosen!r}"
            key = f"page:{name[-120:]}:{hashlib.sha256(raw.encode()).hexdigest()}"
            versions = versions_get(names=version_names)
            store = caches[VALUES_ALIAS]
            hit = store.get(key)
            if hit is not None and hit[0] == versions and _fresh(hit[3]):
                response = HttpResponse(hit[1], status=200)
                for header, value in hit[2]:
                    response[header] = value
                # A fresh render varies on the session cookie; so must its copy,
                # or a shared cache in front could serve it to a signed-in reader.
                patch_vary_headers(response, ("Cookie",))
                response["X-Page-Cache"] = "hit"
                return response
            ends, ttl = _lifetime(timeout=timeout, until=until)
            response = view(request, *args, **kwargs)
            if _storable(response):
                headers = [(h, response[h]) for h in _REPLAYED_HEADERS if h in response]
                store.set(key, (versions, response.content, headers, ends), ttl)
                response["X-Page-Cache"] = "miss"
            return response

        def invalidate() -> None:
            version_bump(name=f"page:{name}")

        wrapper.invalidate = invalidate  # type: ignore[attr-defined]
        return wrapper

    return decorate


def canonical_host(request: HttpRequest) -> str:
    """The ALLOWED_HOSTS entry this request's host matched: what the page cache keys on.

    ``get_host()`` is the client's own text: any port (``127.0.0.1:1``, ``:2``,
    ...), a trailing dot or capitals pass ALLOWED_HOSTS, and with a pattern
    such as ``.example.com`` or ``*`` so does any made-up name. Keying on the
    entry they matched gives one copy per configured host, whatever was sent.
    The pages kept whole build no absolute URL from the host, so hosts that
    share an entry can share a copy.
    """
    domain, _port = split_domain_port(request.get_host())
    for pattern in _allowed_hosts():
        if pattern == "*" or is_same_domain(domain, pattern):
            return pattern
    return domain  # unreachable after get_host(); the normalised name, never the port


def _allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS as ``HttpRequest.get_host`` applies it (DEBUG's local defaults too)."""
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        return [".localhost", "127.0.0.1", "[::1]"]
    return [host.lower() for host in allowed]


def _storable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )
