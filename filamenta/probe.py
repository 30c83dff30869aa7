"""Which cache tier this process gets, and why: Redis, a local file store, or memory.

Settings call :func:`probe_backends` once per process (memoised); the health
view and ``manage.py backends`` only read the record it returns. Nothing else
re-probes, so a request never pays for a probe.

Redis is checked with a real round trip (connect with AUTH, write, read,
increment) under hard connect and read timeouts with retries off: redis-py 8
otherwise retries with back-off and waits ~60 s on a server that accepts and
never answers (/work/shared/MEASURED.md). The file store is checked by using
it, since a directory can exist, look writable and still refuse SQLite's locks.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from filamenta.file_cache import file_store

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


@functools.cache
def probe_backends(
    *, requested: str, redis_url: str, cache_dir: Path, timeout: float
) -> BackendChoice:
    """Choose the tier for ``requested`` (auto, redis, file or memory).

    An explicit tier that does not work stops start-up with the cause: an
    operator who asked for Redis wants to know it is missing, not to discover
    later that rate limits were per host. ``auto`` takes the best tier that
    works and logs one warning for each tier it had to skip.
    """
    started = time.perf_counter()
    location = redact_redis_url(redis_url) if redis_url else ""

    def choice(tier: str, reason: str) -> BackendChoice:
        elapsed = (time.perf_counter() - started) * 1000
        return BackendChoice(tier, reason, round(elapsed, 3), location)

    if requested == "memory":
        return choice("memory", "CACHE_BACKEND=memory")
    if requested == "redis":
        if not redis_url:
            raise ImproperlyConfigured(
                "CACHE_BACKEND=redis but no Redis is configured: set REDIS_URL, or REDIS_HOST "
                "(with REDIS_PORT, REDIS_PASSWORD, REDIS_DB)."
            )
        failure = _redis_failure(redis_url, timeout)
        if failure:
            raise ImproperlyConfigured(f"CACHE_BACKEND=redis but {failure}.")
        return choice("redis", f"CACHE_BACKEND=redis and Redis at {location} answered")
    if requested == "file":
        failure = _file_failure(cache_dir)
        if failure:
            raise ImproperlyConfigured(f"CACHE_BACKEND=file but {failure}.")
        return choice("file", f"CACHE_BACKEND=file and {cache_dir} works")

    skipped = []
    if redis_url:
        failure = _redis_failure(redis_url, timeout)
        if not failure:
            return choice("redis", f"Redis at {location} answered")
        skipped.append(failure)
    else:
        skipped.append("no Redis is configured")
    file_failure = _file_failure(cache_dir)
    if not file_failure:
        reason = f"{skipped[0]}; using the file store in {cache_dir}"
        if redis_url:
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
    where = f"Redis at {redact_redis_url(url)}"
    key = f"filamenta:probe:{os.getpid()}:{uuid.uuid4().hex}"
    client = None
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
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
