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

``@cached_page`` does the same for a whole public page (see its docstring),
reading the page and its versions in one call where the site cache's store
is shared (Redis, the file store): the versions are also kept in "default",
beside the pages, and trusted only when the primary store itself answered.
During an outage that store's stand-in is per process, so the page cache
falls back to the shared versions above until the breaker closes, and the
recovery flush (filamenta.backends.failover) forgets every page and version
kept beside them before the outage.

On the memory tier the shared versions are the database's counters: each
process remembers what it read for :data:`VERSIONS_MEMO_SECONDS`, so a hit
costs no query on most requests. A change made in this process is seen at
once (its bump forgets the memo); one made by another process within that
second. Nothing read inside a transaction is remembered: it may be rolled back.

After the commit of a change that bumps a version a cached page depends on,
the front caches are purged once per transaction (filamenta.front_cache).

``until`` bounds a result's life by the clock as well: a callable that gives
the epoch second when the data may change without any write (the next
scheduled publication), or None. A result is stored no longer than that and
is a miss from that second on, so nothing needs a job to expire it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.db import connections, models, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import is_same_domain

from filamenta import front_cache
from filamenta.backends.counters.cache import CounterCache
from filamenta.backends.failover import NOT_ANSWERED, FailoverCache

P = ParamSpec("P")
R = TypeVar("R")

VALUES_ALIAS = "default"
VERSIONS_ALIAS = "ratelimit"
# How long a process on the memory tier trusts the versions it read from the
# database's counters: another process's change shows within this (see above).
VERSIONS_MEMO_SECONDS = 1.0
_MISS = object()
_clock = time.monotonic
# For each version name some @cached_page depends on, the version key of each
# such page kept beside the pages (one per view: a hit reads one, not one per
# model). A bump of one of these names also purges the front caches.
_PAGES_OF: dict[str, set[str]] = {}
_pages_known = False
_memo: dict[tuple[str, ...], tuple[float, list[int]]] = {}


def _version_key(name: str) -> str:
    return f"cached:version:{name}"


def _memoised() -> bool:
    """True on the memory tier: the shared versions are database rows, worth remembering."""
    return isinstance(caches[VERSIONS_ALIAS], CounterCache)


def versions_get(*, names: Iterable[str]) -> list[int]:
    """The current shared version of each name, creating the missing ones."""
    names = tuple(names)
    memoised = _memoised()
    if memoised:
        remembered = _memo.get(names)
        if remembered is not None and _clock() < remembered[0]:
            return remembered[1]
    store = caches[VERSIONS_ALIAS]
    keys = [_version_key(n) for n in names]
    found = store.get_many(keys)
    for key in keys:
        if key not in found:
            store.add(key, time.time_ns(), timeout=None)
            found[key] = store.get(key, 0)
    versions = [found[key] for key in keys]
    if memoised and not _in_transaction():
        _memo[names] = (_clock() + VERSIONS_MEMO_SECONDS, versions)
    return versions


def _in_transaction() -> bool:
    return any(connections[alias].in_atomic_block for alias in connections)


def versions_memo_clear() -> None:
    """Forget the versions this process remembered (the memory tier's memo)."""
    _memo.clear()


def _pages_of(name: str) -> set[str]:
    """The views' version keys to bump with ``name``, every view known.

    A view's @cached_page registers it when its module is imported, which a
    management command or a shell may never do: the URLconf is loaded once
    first, so a change made anywhere bumps every page that depends on it.
    """
    global _pages_known
    if not _pages_known:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every view module
        _pages_known = True
    return _PAGES_OF.get(name, set())


def _bump_now(name: str) -> None:
    key = _version_key(name)
    shared = caches[VERSIONS_ALIAS]
    try:
        shared.incr(key)
    except ValueError:
        shared.add(key, time.time_ns(), timeout=None)
    values = caches[VALUES_ALIAS]
    if isinstance(values, FailoverCache):
        # The versions beside the pages, one per view that depends on ``name``.
        # Missing is fine: the next reader creates it from the clock, a number
        # no page was stored under. Not answering is an outage: the breaker
        # opened, and its recovery flushes what is kept beside the pages.
        for page_key in sorted(_pages_of(name)):
            with contextlib.suppress(ValueError):
                values.primary_call("incr", page_key)
    _memo.clear()


class _AfterCommit:
    """The one commit hook of a transaction: bump again what it bumped, then purge once.

    Bumped again because a result computed by another process between the
    write and the commit saw the old rows; purged after that second bump, or a
    reader between the two could refill a front cache with such a result.
    """

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        for name in sorted(self.names):
            _bump_now(name)
        if any(_pages_of(name) for name in self.names):
            from filamenta.front_cache import front_cache_purge

            front_cache_purge()


def _after_commit(using: str) -> _AfterCommit:
    """This transaction's hook (this savepoint's), registered with its first bump."""
    # run_on_commit holds (savepoint ids, callback, robust) until the commit.
    # One hook per savepoint: a rolled-back savepoint drops its own hook and
    # none of the others' names.
    connection = connections[using]
    current = set(connection.savepoint_ids)
    for sids, func, _robust in connection.run_on_commit:
        if isinstance(func, _AfterCommit) and not func.ran and sids == current:
            return func
    hook = _AfterCommit()
    transaction.on_commit(hook, using=using)
    return hook


def version_bump(*, name: str, using: str = "default") -> None:
    """Make every result that depended on ``name`` a miss from now on, and again at commit.

    Outside a transaction the change is already committed: the front caches
    are purged at once when a cached page depends on ``name``.
    """
    _bump_now(name)
    if connections[using].in_atomic_block:
        _after_commit(using).names.add(name)
    elif _pages_of(name):
        from filamenta.front_cache import front_cache_purge

        front_cache_purge()


# Per model label: fields no cached result shows (versions_ignore_fields).
_UNSHOWN_FIELDS: dict[str, frozenset[str]] = {}


def versions_ignore_fields(label: str, *fields: str) -> None:
    """Declare that no cached result shows these fields of ``label`` ("app.Model").

    A save that updates only them (``save(update_fields=...)``) then leaves every
    cached result valid. Why: Django saves ``last_login`` at every sign-in, and
    without this each sign-in would make every public page a miss and purge the
    front caches in front of every server.
    """
    key = label.lower()
    _UNSHOWN_FIELDS[key] = _UNSHOWN_FIELDS.get(key, frozenset()) | frozenset(fields)


def _model_changed(sender: type[models.Model], **kwargs: Any) -> None:
    label = sender._meta.label_lower
    updated = kwargs.get("update_fields")
    if updated and frozenset(updated) <= _UNSHOWN_FIELDS.get(label, frozenset()):
        return
    version_bump(name=label, using=kwargs.get("using") or "default")


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


# Headers of a view's own response worth replaying when the view stores its
# page itself; middleware adds the rest (security headers, Vary) to each response.
_REPLAYED_HEADERS = ("Content-Type", "Content-Language", "Last-Modified")
# Headers never kept with a page PageCacheMiddleware stores: the middleware
# outside it and the server write them again on every response.
_UNKEPT_HEADERS = frozenset({"content-length", "date", "set-cookie", "x-page-cache"})
MESSAGES_COOKIE = CookieStorage.cookie_name


def _page_read(
    key: str | None, version_names: tuple[str, ...], beside_key: str
) -> tuple[Any, tuple]:
    """(the stored page or None, the stamp a page must carry to be current).

    One call where the site cache's store is shared and answers: the page and
    the view's version kept beside it (``beside_key``, bumped with any of
    ``version_names``). Otherwise the shared versions of ``version_names``
    (module docstring), then the page. The stamp says which it holds, so a
    page stored under one kind is never taken for current under the other.
    ``key`` None reads the stamp alone.
    """
    store = caches[VALUES_ALIAS]
    if isinstance(store, FailoverCache):
        found = store.primary_call("get_many", [beside_key] if key is None else [key, beside_key])
        if found is not NOT_ANSWERED and beside_key not in found:
            # First use, or evicted: start from the clock.
            store.primary_call("add", beside_key, time.time_ns(), None)
            again = store.primary_call("get_many", [beside_key])
            found = NOT_ANSWERED if again is NOT_ANSWERED else {**found, **again}
        if found is not NOT_ANSWERED and beside_key in found:
            page = None if key is None else found.get(key)
            return page, ("beside", found[beside_key])
    versions = versions_get(names=version_names)
    return (None if key is None else store.get(key)), ("shared", *versions)


class CachedPage:
    """One ``@cached_page`` view: how its pages are keyed, read, stored and replayed.

    The view's wrapper uses it, and so does :class:`filamenta.page_cache.PageCacheMiddleware`,
    which serves a hit before the middleware a hit has no use for (CSP,
    sessions, CSRF, authentication, messages...), hands a miss to the wrapper
    with the lookup already done, and stores the page with the headers that
    middleware added. Alone, the wrapper stores the view's own headers and
    cannot see a cookie a middleware sets after it.
    """

    def __init__(
        self,
        *,
        name: str,
        labels: tuple[str, ...],
        params: tuple[str, ...],
        timeout: int,
        until: Until | None,
    ) -> None:
        self.name = name
        self.params = params
        self.timeout = timeout
        self.until = until
        self.version_names = (f"page:{name}", *(label.lower() for label in labels))
        self.beside_key = _version_key(f"view:{name}")
        # A session (signed in, drafts, a form's state) or a pending flash
        # message makes the page personal.
        self.personal_cookies = frozenset({settings.SESSION_COOKIE_NAME, MESSAGES_COOKIE})
        # The function URL patterns point at; set by cached_page.
        self.wrapper: Callable[..., HttpResponse] | None = None

    def applies(self, request: HttpRequest) -> bool:
        """A GET or HEAD from a visitor without a session or flash message."""
        return request.method in ("GET", "HEAD") and not (
            self.personal_cookies & request.COOKIES.keys()
        )

    def key(self, request: HttpRequest, language: str | None = None) -> str:
        """This request's page key, in ``language`` (default: the active one)."""
        chosen = []
        if self.params and request.META.get("QUERY_STRING"):
            chosen = [(p, request.GET.getlist(p)) for p in self.params if p in request.GET]
        if language is None:
            language = translation.get_language()
        raw = f"{request.scheme}://{canonical_host(request)}{request.path}|{chosen!r}|{language}"
        return f"page:{self.name[-120:]}:{hashlib.sha256(raw.encode()).hexdigest()}"

    def lookup(self, request: HttpRequest, language: str | None = None) -> tuple[str, Any, tuple]:
        """(this request's key, its current stored page or None, the stamp to store under)."""
        key = self.key(request, language)
        hit, stamp = _page_read(key, self.version_names, self.beside_key)
        if hit is not None and hit[0] == stamp and _fresh(hit[3]):
            return key, hit, stamp
        return key, None, stamp

    def stamp_now(self) -> tuple:
        return _page_read(None, self.version_names, self.beside_key)[1]

    @staticmethod
    def replay(hit: Any) -> HttpResponse:
        """The stored page as a response, with the headers kept beside it."""
        response = HttpResponse(hit[1], status=200)
        for header, value in hit[2]:
            response[header] = value
        response["Content-Length"] = str(len(hit[1]))
        response["X-Page-Cache"] = "hit"
        return response

    def render(
        self, request: HttpRequest, view: Callable[..., HttpResponse], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        """The view's response, stored here unless PageCacheMiddleware stores it."""
        handed = getattr(request, "_page_cache_lookup", None)
        # The middleware chose the language before LocaleMiddleware ran: its
        # lookup is used only when the key it read is the one this render has.
        handed = handed if handed and handed[0] is self and handed[1] == self.key(request) else None
        if handed is not None:
            key, stamp = handed[1], handed[2]
        else:
            key, hit, stamp = self.lookup(request)
            if hit is not None:
                response = self.replay(hit)
                # A fresh render varies on the session cookie; so must its copy,
                # or a shared cache in front could serve it to a signed-in reader.
                patch_vary_headers(response, ("Cookie",))
                front_cache.front_headers(response)
                return response
        ends, ttl = _lifetime(timeout=self.timeout, until=self.until)
        response = view(request, *args, **kwargs)
        if not _storable(response):
            return response
        # A change committed while the page rendered made it old already. Kept
        # here, it is a miss (its stamp is the old one); a front cache would
        # keep it, so it is offered to none, and checked only when one is in use.
        if front_cache.in_use() and self.stamp_now() != stamp:
            return response
        pending = (key, stamp, ends, ttl)
        if handed is not None:
            # Stored by the middleware, with the headers the middleware inside it adds.
            response._page_cache_pending = pending  # type: ignore[attr-defined]
            return response
        headers = [(h, response[h]) for h in _REPLAYED_HEADERS if h in response]
        front_cache.front_headers(response)
        self.store(request, response, pending, headers)
        return response

    def store_final(self, request: HttpRequest, response: HttpResponse) -> None:
        """Store what the middleware inside PageCacheMiddleware made of a page rendered for it.

        Checked again here: a middleware after the view may have set a cookie
        (CSRF's, the session's) and then the page is personal; and a page that
        asked for a CSP nonce is never replayed, or every reader would share it.
        """
        pending = getattr(response, "_page_cache_pending", None)
        if pending is None or not _storable(response) or getattr(request, "_csp_nonce", None):
            return
        patch_vary_headers(response, ("Cookie",))
        front_cache.front_headers(response)
        headers = [(h, v) for h, v in response.items() if h.lower() not in _UNKEPT_HEADERS]
        self.store(request, response, pending, headers)

    def store(
        self,
        request: HttpRequest,
        response: HttpResponse,
        pending: tuple[str, tuple, float | None, int],
        headers: list[tuple[str, str]],
    ) -> None:
        key, stamp, ends, ttl = pending
        caches[VALUES_ALIAS].set(key, (stamp, response.content, headers, ends), ttl)
        response["X-Page-Cache"] = "miss"
        if not request.META.get("QUERY_STRING"):
            front_cache.page_rendered(
                request=request,
                response=response,
                still_current=lambda: self.stamp_now() == stamp,
            )

    def invalidate(self) -> None:
        version_bump(name=f"page:{self.name}")


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
    spellings can fill the cache; and the reader's language, so a French
    reader never gets the English copy (LocaleMiddleware adds
    ``Content-Language`` and ``Vary: Accept-Language`` to hits as to misses).

    Invalidation is the same as ``@cached``: one version per ``depends_on``
    model, read in the same call as the page where the store allows it
    (module docstring), and ``until`` for what the clock changes. What is
    served from here or stored is also offered to the front caches
    (filamenta.front_cache): headers for nginx and a CDN, and on cPanel a
    static copy for Apache. With :class:`filamenta.page_cache.PageCacheMiddleware`
    installed, a hit is served before most middleware (see there). The
    undecorated view stays reachable as ``view.__wrapped__``.
    """
    labels = tuple(depends_on)
    for label in labels:
        _watch(label)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        page = CachedPage(
            name=f"{view.__module__}.{view.__qualname__}",
            labels=labels,
            params=tuple(query),
            timeout=timeout,
            until=until,
        )
        for version_name in page.version_names:
            _PAGES_OF.setdefault(version_name, set()).add(page.beside_key)

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not page.applies(request):
                return view(request, *args, **kwargs)
            return page.render(request, view, *args, **kwargs)

        page.wrapper = wrapper
        wrapper.page_cache = page  # type: ignore[attr-defined]
        wrapper.invalidate = page.invalidate  # type: ignore[attr-defined]
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
