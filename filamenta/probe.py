"""Which cache tier this process gets, and why: Redis, a local file store, or memory.

Settings call :func:`probe_backends` once per process (memoised); the health
view and ``manage.py backends`` only read the record it returns. Nothing else
re-probes, so a request never pays for a probe.

Redis is checked with a real round trip (connect with AUTH, write, read,
increment) under hard connect and read timeouts with retries off: redis-py 8
otherwise retries with back-off and waits ~60 s on a server that accepts and
never answers (/work/shared/MEASURED.md). With Sentinel the sentinels are
asked for the master under the same timeouts, then the master gets the same
round trip. The file store is checked by using it, since a directory can
exist, look writable and still refuse SQLite's locks.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from filamenta.file_cache import file_store
from filamenta.redis_sentinel import RedisSentinel

logger = logging.getLogger("filamenta.backends")

TIERS = ("redis", "file", "memory")
CHOICES = ("auto", *TIERS)


@dataclass(frozen=True)
class BackendChoice:
    """What the probe chose, why, and how long deciding took."""

    tier: str
    reason: str
    probe_ms: float
    redis_location: str = ""  # redacted; "" when no Redis is configured
    # host:port of the Redis that answered the probe; with Sentinel, the
    # master at start-up (a later failover moves it; redis_location does not).
    redis_master: str = ""


@functools.cache
def probe_backends(
    *,
    requested: str,
    redis_url: str,
    cache_dir: Path,
    timeout: float,
    sentinel: RedisSentinel | None = None,
) -> BackendChoice:
    """Choose the tier for ``requested`` (auto, redis, file or memory).

    Redis is the server at ``redis_url`` or, when ``sentinel`` is given, the
    master its sentinels name (``redis_url`` is then "").

    An explicit tier that does not work stops start-up with the cause: an
    operator who asked for Redis wants to know it is missing, not to discover
    later that rate limits were per host. ``auto`` takes the best tier that
    works and logs one warning for each tier it had to skip.
    """
    started = time.perf_counter()
    location = redact_redis_url(redis_url) if redis_url else ""
    if sentinel:
        location = sentinel.location
    configured = bool(redis_url or sentinel)

    def choice(tier: str, reason: str, master: str = "") -> BackendChoice:
        elapsed = (time.perf_counter() - started) * 1000
        return BackendChoice(tier, reason, round(elapsed, 3), location, master)

    def check_redis() -> tuple[str, str, str]:
        """(failure or "", who answered, its host:port)."""
        if sentinel:
            return _sentinel_failure(sentinel, timeout)
        scheme, _, rest = location.partition("://")
        address = rest if scheme == "unix" else rest.rsplit("/", 1)[0]  # socket, or host:port
        return _redis_failure(redis_url, timeout), f"Redis at {location}", address

    if requested == "memory":
        return choice("memory", "CACHE_BACKEND=memory")
    if requested == "redis":
        if not configured:
            raise ImproperlyConfigured(
                "CACHE_BACKEND=redis but no Redis is configured: set REDIS_URL, REDIS_HOST "
                "(with REDIS_PORT, REDIS_PASSWORD, REDIS_DB), or REDIS_SENTINELS with "
                "REDIS_SENTINEL_MASTER."
            )
        failure, who, address = check_redis()
        if failure:
            raise ImproperlyConfigured(f"CACHE_BACKEND=redis but {failure}.")
        return choice("redis", f"CACHE_BACKEND=redis and {who} answered", address)
    if requested == "file":
        failure = _file_failure(cache_dir)
        if failure:
            raise ImproperlyConfigured(f"CACHE_BACKEND=file but {failure}.")
        return choice("file", f"CACHE_BACKEND=file and {cache_dir} works")

    skipped = []
    if configured:
        failure, who, address = check_redis()
        if not failure:
            return choice("redis", f"{who} answered", address)
        skipped.append(failure)
    else:
        skipped.append("no Redis is configured")
    file_failure = _file_failure(cache_dir)
    if not file_failure:
        reason = f"{skipped[0]}; using the file store in {cache_dir}"
        if configured:
            logger.warning("Cache tier: file, not Redis: %s", reason)
        return choice("file", reason)
    skipped.append(file_failure)
    reason = "; ".join(skipped) + "; using local memory, with sessions and rate limits in the DB"
    logger.warning("Cache tier: memory: %s", reason)
    return choice("memory", reason)


def redact_redis_url(url: str) -> str:
    """scheme://host:port/db (or the socket path) without credentials, for logs and /healthz."""
    try:
        parts = urlsplit(url)
        port = parts.port or 6379
    except ValueError:
        return "<unparseable REDIS_URL>"
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    return f"{parts.scheme}://{parts.hostname}:{port}{parts.path or '/0'}"


def _redis_failure(url: str, timeout: float) -> str:
    """ "" when Redis answered a full round trip, else what went wrong (host, port, cause)."""
    return _round_trip_failure(
        f"Redis at {redact_redis_url(url)}",
        timeout,
        lambda: redis.Redis.from_url(url, **_hard_limits(timeout)),
    )


def _sentinel_failure(sentinel: RedisSentinel, timeout: float) -> tuple[str, str, str]:
    """Ask the sentinels for the master, then give the master the round trip.

    Returns (failure or "", who answered, the master's host:port). Sentinels
    are asked one after the other, so a dead one costs up to ``timeout``.
    """
    master, errors = _master_from_sentinels(sentinel, timeout)
    sentinels = f"the sentinels at {sentinel.addresses}"
    if master is None:
        return (
            f"{sentinels} did not name a master {sentinel.master!r} within {timeout:g} s "
            f"each ({'; '.join(errors)})",
            "",
            "",
        )
    host, port = master
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    who = f"Redis master {sentinel.master!r} at {address} (named by {sentinels})"
    failure = _round_trip_failure(
        who,
        timeout,
        lambda: redis.Redis(
            host=host,
            port=port,
            db=sentinel.db,
            password=sentinel.password or None,
            **_hard_limits(timeout),
        ),
    )
    return failure, who, address


def _master_from_sentinels(
    sentinel: RedisSentinel, timeout: float
) -> tuple[tuple[str, int] | None, list[str]]:
    """The master's (host, port) from the first sentinel that knows it up, and each refusal.

    redis-py's Sentinel.discover_master does the same but reports a failure as
    the reprs of its clients ("network:ConnectionError"), without the cause.
    """
    kwargs = _hard_limits(timeout)
    if sentinel.sentinel_password:
        kwargs["password"] = sentinel.sentinel_password
    errors = []
    for host, port in sentinel.sentinels:
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        client = redis.Redis(host=host, port=port, **kwargs)
        try:
            state = client.sentinel_masters().get(sentinel.master)
        except (redis.RedisError, OSError) as exc:
            errors.append(f"{where}: {type(exc).__name__}: {exc}")
            continue
        finally:
            client.close()
        # The same test as redis-py's Sentinel.check_master_state.
        if state is None:
            errors.append(f"{where}: does not monitor {sentinel.master!r}")
        elif not state["is_master"] or state["is_sdown"] or state["is_odown"]:
            errors.append(f"{where}: reports {sentinel.master!r} down")
        else:
            return (state["ip"], int(state["port"])), errors
    return None, errors


def _hard_limits(timeout: float) -> dict[str, Any]:
    return {
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
    }


def _round_trip_failure(where: str, timeout: float, connect: Callable[[], redis.Redis]) -> str:
    key = f"filamenta:probe:{os.getpid()}:{uuid.uuid4().hex}"
    client = None
    try:
        client = connect()
        pipe = client.pipeline(transaction=False)
        pipe.set(key, "1", px=10_000)
        pipe.get(key)
        pipe.incr(key)
        pipe.delete(key)
        _, read, incremented, _ = pipe.execute()
    except (redis.RedisError, OSError, ValueError) as exc:
        return f"{where} did not answer within {timeout:g} s ({type(exc).__name__}: {exc})"
    finally:
        if client is not None:
            client.close()
    if read != b"1" or incremented != 2:
        return f"{where} answered wrongly (read {read!r}, increment gave {incremented!r})"
    return ""


def _file_failure(cache_dir: Path) -> str:
    """ "" when the file store in ``cache_dir`` wrote, read and incremented, else why not."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The store may hold sessions and user data: only the site's own user may read it.
        if cache_dir.stat().st_mode & 0o077:
            cache_dir.chmod(0o700)
        store = file_store(str(cache_dir / "ratelimit"), shards=1)
        key = f"probe:{os.getpid()}"
        store.set(key, 1, expire=10, retry=True)
        read = store.get(key, retry=True)
        incremented = store.incr(key, retry=True)
        store.delete(key, retry=True)
    except Exception as exc:  # any failure: do not use this store
        return f"the file store in {cache_dir} is unusable ({type(exc).__name__}: {exc})"
    if read != 1 or incremented != 2:
        return f"the file store in {cache_dir} answered wrongly ({read!r}, {incremented!r})"
    return ""
