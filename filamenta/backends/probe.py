"""Do the stores of the configured tier answer? Checked once as a process starts, and on demand.

The tier itself follows from configuration (filamenta.backends.settings); the
probe only says whether its stores work right now. A server process checks
them as it starts (:func:`start_degraded_if_down`, called by the WSGI and ASGI
entry points): a store that does not answer opens the tier's circuit breaker
at once, so the process starts on the fallbacks instead of exiting, and joins
its siblings on the store when the breaker's trial finds it back. The system
check (filamenta.backends.checks) and ``manage.py backends --probe``/``--require`` use
the same probe; nothing else probes, so a request never pays for one.

Redis is checked with a real round trip (connect with AUTH, write, read,
increment) under hard connect and read timeouts with retries off: redis-py 8
otherwise retries with back-off and waits ~60 s on a server that accepts and
never answers (58.6 s measured on this kind of machine). With Sentinel the
sentinels are asked for the master under the same timeouts, then the master
gets the same round trip. Each file store is checked by opening it and using
it, since a directory can exist, look writable and still refuse SQLite's
locks, and a damaged shard only shows when it is opened.
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

import redis
from django.db import DatabaseError
from redis.backoff import NoBackoff
from redis.retry import Retry

from filamenta.backends.breaker import circuit_breaker_for
from filamenta.backends.file_store import FILE_STORES, file_store
from filamenta.backends.sentinel import RedisSentinel
from filamenta.backends.settings import BackendSettings, redact_redis_url

logger = logging.getLogger("filamenta.backends")


@dataclass(frozen=True)
class ProbeResult:
    """Whether the tier's stores answered, what answered, and how long asking took."""

    ok: bool
    detail: str  # who answered, or what went wrong (host, port, cause; never a password)
    probe_ms: float
    # host:port of the Redis that answered; with Sentinel, the master at that moment.
    redis_master: str = ""


def probe(backends: BackendSettings, *, fresh: bool = False) -> ProbeResult:
    """Check the stores ``backends`` uses; memoised per process unless ``fresh``."""
    check = _probe.__wrapped__ if fresh else _probe
    return check(
        tier=backends.tier,
        redis_url=backends.redis_url,
        sentinel=backends.sentinel,
        cache_dir=Path(backends.cache_dir),
        timeout=backends.timeout,
    )


def start_degraded_if_down(backends: BackendSettings | None = None) -> ProbeResult | None:
    """Probe as a server process starts; open the breaker at once if a store is down.

    ``backends`` defaults to settings.BACKENDS. Never raises: a worker born
    during an outage must join the deployment degraded, not stop the server
    (gunicorn exits when a worker fails to boot, and stays down).
    """
    if backends is None:
        from django.conf import settings

        backends = settings.BACKENDS
    if not backends.breaker:
        return None
    try:
        result = probe(backends)
    except Exception as exc:  # a bug in the probe must not stop the site either
        logger.exception("Cache tier %s: the start-up probe failed", backends.tier)
        result = ProbeResult(False, f"the probe failed ({type(exc).__name__}: {exc})", 0.0)
    if not result.ok:
        circuit_breaker_for(backends.breaker).open_at_start(result.detail)
    else:
        _catch_up()
    return result


def _catch_up() -> None:
    """Flush what the store kept from before outages this process did not see."""
    from django.conf import settings
    from django.core.cache import caches

    from filamenta.backends.failover import STORE_ERRORS, FailoverCache

    for alias in settings.CACHES:
        cache = caches[alias]
        if isinstance(cache, FailoverCache):
            try:
                cache.catch_up()
            except DatabaseError as exc:  # the outage count is unknown; the store is fine
                logger.warning("%s: could not read the outage count (%s)", cache.breaker.name, exc)
            except STORE_ERRORS as exc:  # the store failed after all: start degraded
                cache.breaker.record_failure(exc)


@functools.cache
def _probe(
    *,
    tier: str,
    redis_url: str,
    sentinel: RedisSentinel | None,
    cache_dir: Path,
    timeout: float,
) -> ProbeResult:
    started = time.perf_counter()

    def result(failure: str, detail: str, master: str = "") -> ProbeResult:
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return ProbeResult(not failure, failure or detail, elapsed, master)

    if tier == "redis":
        if sentinel:
            failure, who, address = _sentinel_failure(sentinel, timeout)
        else:
            location = redact_redis_url(redis_url)
            scheme, _, rest = location.partition("://")
            address = rest if scheme == "unix" else rest.rsplit("/", 1)[0]  # socket, or host:port
            failure, who = _redis_failure(redis_url, timeout), f"Redis at {location}"
        return result(failure, f"{who} answered", "" if failure else address)
    if tier == "file":
        return result(_file_failure(cache_dir), f"the file stores in {cache_dir} work")
    return result("", "local memory and the database: nothing to probe")


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
    """ "" when every file store in ``cache_dir`` opened, wrote, read and incremented, else why."""
    try:
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The store may hold sessions and user data: only the site's own user may read it.
        if cache_dir.stat().st_mode & 0o077:
            cache_dir.chmod(0o700)
        for name, shards in FILE_STORES.items():
            store = file_store(str(cache_dir / name), shards=shards)
            key = f"probe:{os.getpid()}:{uuid.uuid4().hex}"
            store.set(key, 1, expire=10, retry=True)
            read = store.get(key, retry=True)
            incremented = store.incr(key, retry=True)
            store.delete(key, retry=True)
            if read != 1 or incremented != 2:
                return (
                    f"the file store in {cache_dir / name} answered wrongly "
                    f"({read!r}, {incremented!r})"
                )
    except Exception as exc:  # any failure: the store is down
        return f"the file store in {cache_dir} is unusable ({type(exc).__name__}: {exc})"
    return ""
