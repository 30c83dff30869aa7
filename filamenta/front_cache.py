"""The caches in front of Django: what they may keep, and how they forget it.

Django's page cache (``@cached_page``) still costs a Python worker per hit; a
web server or CDN in front answers the same bytes many times faster. Every
response ``@cached_page`` serves from its cache or stores is offered to them:

- **nginx on a VPS or in Docker** (deploy/vps/nginx.conf): ``X-Accel-Expires``
  says how long it may keep the page (``FRONT_CACHE_SECONDS``). nginx honours it
  and never passes it on, so browsers and other caches never see it, and no
  other response carries it: nginx keeps nothing Django did not offer.
- **A CDN or shared proxy in front of a fleet**: ``Cache-Control: public,
  max-age=0, s-maxage=N`` with N = ``EDGE_CACHE_SECONDS`` (0, the default: off).
  Browsers keep nothing (``max-age=0``), so a reader sees a change as soon as
  the shared cache does.
- **Apache on cPanel**: a static copy of the page under the application's
  ``public/`` folder (filamenta.static_pages, ``STATIC_PAGES_DIR``), which the
  shipped ``.htaccess`` serves without waking Passenger.

Forgetting: after the commit of any change that bumps a version a cached page
depends on (filamenta.caching), once per transaction, :func:`front_cache_purge`
sends ``PURGE`` to each URL of ``EDGE_PURGE_URLS`` (each server's nginx, or a
Varnish) and removes the static copies. A version bump invalidates every page
that depends on the model, so a purge forgets every page: the front caches
stay exactly as fresh as Django's own. A purge that does not reach its cache
(down, refused, or skipped while that cache is backed off) is logged and
counted, and owed: the process retries it every ``PURGE_BACKOFF_SECONDS`` until
it is delivered or the copies it meant to remove have expired (the lifetime
they were given). So a cache that comes back within that lifetime is purged
within seconds of coming back, and one that stays away keeps its pages at most
that lifetime, which is why ``FRONT_CACHE_SECONDS`` defaults to a short 10 s
wherever no purge URL is configured.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

logger = logging.getLogger("filamenta.front_cache")

# Shared by every process and server, atomic on every tier, never flushed on a
# Redis recovery (filamenta.backends.settings): where the purge counts live.
STATUS_ALIAS = "ratelimit"
LAST_PURGED_KEY = "front-cache:last-purged"
FAILURES_KEY = "front-cache:purge-failures"
LAST_FAILURE_KEY = "front-cache:last-failure"
# Each purge waits this long for its cache at most: an unreachable server of a
# fleet costs the writer seconds, never the worker's timeout.
PURGE_TIMEOUT_SECONDS = 2.0
# With a purge configured, a front cache may keep a page as long as the page
# cache does; without one, only briefly (the module docstring).
FRONT_SECONDS_WITH_PURGE = 300
FRONT_SECONDS_WITHOUT_PURGE = 10

# After a purge URL fails, this process skips it (a failure counted each time) for
# this long: a bulk import or seed_demo saving rows one by one must not wait the
# timeout once per row for a server that is down.
PURGE_BACKOFF_SECONDS = 5.0
_down_until: dict[str, float] = {}
# Purges not delivered yet: URL -> when (time.monotonic()) the first of them was
# missed, and the one daemon timer per URL that retries it (_retry_owed).
_owed_since: dict[str, float] = {}
_retry_timers: dict[str, threading.Timer] = {}
_owed_lock = threading.Lock()

# urllib without the environment's proxies: a purge goes to the cache itself.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def purge_urls_from_env(env: Any, *, default: str = "") -> list[str]:
    """``EDGE_PURGE_URLS``: comma-separated http(s) URLs, or stop start-up naming it."""
    raw = env.str("EDGE_PURGE_URLS", default=default).strip()
    urls = [u.strip() for u in raw.split(",") if u.strip()]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(
                f"EDGE_PURGE_URLS has {url!r}, which is not an http:// or https:// URL; "
                "give the purge URL of each front cache, comma-separated, such as "
                "http://127.0.0.1:8089/purge, or leave it empty for none."
            )
    return urls


def front_cache_settings(env: Any, *, purge_default: str = "", front: bool) -> dict[str, Any]:
    """FRONT_CACHE_SECONDS, EDGE_CACHE_SECONDS and EDGE_PURGE_URLS for a settings module.

    ``front``: a web server that honours ``X-Accel-Expires`` is in front (nginx
    on a VPS, in Docker, on each server of a fleet). ``purge_default``: where
    this host's front cache takes its purges.
    """
    from filamenta.environment import whole_number

    urls = purge_urls_from_env(env, default=purge_default)
    default = 0
    if front:
        default = FRONT_SECONDS_WITH_PURGE if urls else FRONT_SECONDS_WITHOUT_PURGE
    return {
        "FRONT_CACHE_SECONDS": whole_number(
            "FRONT_CACHE_SECONDS", default, maximum=86400, hint="0 lets nginx keep no page."
        ),
        "EDGE_CACHE_SECONDS": whole_number(
            "EDGE_CACHE_SECONDS", 0, maximum=86400, hint="0 lets no shared cache keep a page."
        ),
        "EDGE_PURGE_URLS": urls,
    }


def in_use() -> bool:
    """True when some cache in front may keep pages: worth a second look at each new one."""
    return bool(
        settings.FRONT_CACHE_SECONDS
        or settings.EDGE_CACHE_SECONDS
        or getattr(settings, "STATIC_PAGES_DIR", "")
    )


def front_headers(response: HttpResponse) -> None:
    """Tell the caches in front how long they may keep this anonymous, current page."""
    seconds = settings.FRONT_CACHE_SECONDS
    if seconds:
        response["X-Accel-Expires"] = str(seconds)
    edge = settings.EDGE_CACHE_SECONDS
    if edge:
        patch_cache_control(response, public=True, max_age=0, s_maxage=edge)


def page_rendered(
    *, request: HttpRequest, response: HttpResponse, still_current: Callable[[], bool]
) -> None:
    """A page just rendered and stored, for a GET without a query string: copy it for Apache."""
    if getattr(settings, "STATIC_PAGES_DIR", "") and request.method == "GET":
        from filamenta.static_pages import static_page_write

        static_page_write(request=request, response=response, still_current=still_current)


def front_cache_purge() -> None:
    """Make every front cache forget every page; never raises (each failure is counted)."""
    failed = 0
    for url in settings.EDGE_PURGE_URLS:
        if time.monotonic() < _down_until.get(url, 0):
            failed += 1
            _owe(url)
        elif not _purge_one(url):
            failed += 1
    if getattr(settings, "STATIC_PAGES_DIR", ""):
        from filamenta.static_pages import static_pages_purge

        static_pages_purge()
    _record(failed=failed)


def _purge_one(url: str) -> bool:
    """One PURGE to ``url``: True when delivered; else backed off, owed and logged."""
    try:
        # The scheme was checked at start-up: http or https only (purge_urls_from_env).
        request = urllib.request.Request(url, method="PURGE")  # noqa: S310
        with _opener.open(request, timeout=PURGE_TIMEOUT_SECONDS) as answer:
            answer.read()
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
        _down_until[url] = time.monotonic() + PURGE_BACKOFF_SECONDS
        _owe(url)
        logger.warning(
            "front cache purge of %s failed (%s); retried in %.0f s",
            url,
            exc,
            PURGE_BACKOFF_SECONDS,
        )
        return False
    _down_until.pop(url, None)
    with _owed_lock:
        _owed_since.pop(url, None)
    return True


def _owe(url: str) -> None:
    """Remember that ``url`` missed a purge, and arm its retry unless one is armed."""
    with _owed_lock:
        _owed_since.setdefault(url, time.monotonic())
        if url in _retry_timers:
            return
        timer = threading.Timer(PURGE_BACKOFF_SECONDS, _retry_owed, args=(url,))
        timer.daemon = True  # a worker that exits owes nothing: its lifetime bound holds
        _retry_timers[url] = timer
    timer.start()


def _owed_lifetime() -> int:
    return max(settings.FRONT_CACHE_SECONDS, settings.EDGE_CACHE_SECONDS)


def _retry_owed(url: str) -> None:
    """The timer's work: deliver the owed purge, or give it up once nothing it covers is left."""
    from django.db import connections

    with _owed_lock:
        _retry_timers.pop(url, None)
        since = _owed_since.get(url)
    if since is None:  # a later purge got through meanwhile
        return
    try:
        if time.monotonic() - since >= _owed_lifetime():
            with _owed_lock:
                _owed_since.pop(url, None)
            logger.warning("front cache purge of %s given up: its copies expired meanwhile", url)
            return
        if url not in settings.EDGE_PURGE_URLS:  # reconfigured (tests): nothing to owe
            with _owed_lock:
                _owed_since.pop(url, None)
            return
        _record(failed=0 if _purge_one(url) else 1)
    finally:
        connections.close_all()  # this thread's own, if the counters used the database


def _record(*, failed: int) -> None:
    store = caches[STATUS_ALIAS]
    now = int(time.time())
    try:
        store.set(LAST_PURGED_KEY, now, None)
        if failed:
            store.set(LAST_FAILURE_KEY, now, None)
            if not store.add(FAILURES_KEY, failed, None):
                store.incr(FAILURES_KEY, failed)
    except DatabaseError as exc:  # the counters fell back to a database that is down too
        logger.warning("could not record the front cache purge: %s", exc)


def front_cache_kinds() -> list[str]:
    """The front caches this configuration serves, in words."""
    kinds = []
    if settings.FRONT_CACHE_SECONDS:
        kinds.append(f"web server cache (X-Accel-Expires {settings.FRONT_CACHE_SECONDS} s)")
    if settings.EDGE_CACHE_SECONDS:
        kinds.append(f"shared cache or CDN (s-maxage {settings.EDGE_CACHE_SECONDS} s)")
    if getattr(settings, "STATIC_PAGES_DIR", ""):
        kinds.append(f"static pages for Apache in {getattr(settings, 'STATIC_PAGES_DIR', '')}")
    return kinds


def front_cache_status() -> dict[str, Any]:
    """What `manage.py backends` and the operations page show of the front caches."""
    store = caches[STATUS_ALIAS]
    try:
        values = store.get_many([LAST_PURGED_KEY, FAILURES_KEY, LAST_FAILURE_KEY])
    except DatabaseError as exc:  # a status page shows what it can
        logger.warning("could not read the front cache status: %s", exc)
        values = {}
    kinds = front_cache_kinds()
    return {
        "kind": ", ".join(kinds) or "none",
        "front_cache_seconds": settings.FRONT_CACHE_SECONDS,
        "edge_cache_seconds": settings.EDGE_CACHE_SECONDS,
        "purge_urls": list(settings.EDGE_PURGE_URLS),
        "static_pages_dir": getattr(settings, "STATIC_PAGES_DIR", "") or None,
        "last_purged_at": values.get(LAST_PURGED_KEY),
        "purge_failures": values.get(FAILURES_KEY, 0),
        "last_failure_at": values.get(LAST_FAILURE_KEY),
    }
