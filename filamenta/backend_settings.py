"""CACHES, SESSION_ENGINE and the rate-limit alias for the tier the probe chose.

| tier   | "default" (site cache)     | sessions                        | "ratelimit"             |
|--------|----------------------------|---------------------------------|-------------------------|
| redis  | Redis, else local memory   | cached_db over Redis, else db   | Redis, else DB counters |
| file   | diskcache in CACHE_DIR     | cached_db over diskcache        | diskcache in CACHE_DIR  |
| memory | local memory (per process) | db                              | DB counters             |

"else" is the circuit breaker's fallback while Redis is down at run time.
Redis is one server (REDIS_URL or REDIS_HOST…) or the master that Redis
Sentinel names (REDIS_SENTINELS and REDIS_SENTINEL_MASTER); everything above
is the same for both.
Sessions are never per process, and a cache that breaks only costs a read
from the database (the session alias falls back to nothing: a miss).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import environ
from django.core.exceptions import ImproperlyConfigured

from filamenta.environment import whole_number
from filamenta.probe import CHOICES, BackendChoice, probe_backends
from filamenta.redis_sentinel import RedisSentinel, master_name, sentinel_addresses

REDIS_SCHEMES = ("redis", "rediss", "unix")
FAILOVER = "filamenta.failover_cache.FailoverCache"  # = failover_cache.FAILOVER_BACKEND
DJANGO_REDIS = "django_redis.cache.RedisCache"
SENTINEL_CLIENT = "django_redis.client.SentinelClient"
SENTINEL_FACTORY = "django_redis.pool.SentinelConnectionFactory"
FILE_CACHE = "filamenta.file_cache.FileCache"
COUNTERS = "filamenta.counters.cache.CounterCache"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
CACHED_DB = "django.contrib.sessions.backends.cached_db"
DB = "django.contrib.sessions.backends.db"


@dataclass(frozen=True)
class BackendSettings:
    """What an environment module copies into its settings, and the probe's record."""

    choice: BackendChoice
    caches: dict[str, Any]
    session_engine: str
    session_cache_alias: str
    redis_configured: bool
    cache_dir: str


def backend_settings(
    *,
    env: environ.Env,
    instance_dir: Path,
    redis_default_host: str = "",
    redis_required: bool = False,
    default_backend: str = "auto",
    requested: str | None = None,
) -> BackendSettings:
    """Read CACHE_BACKEND and the Redis variables, probe, and build the settings.

    ``redis_default_host`` is the environment's own Redis host when neither
    REDIS_URL nor REDIS_HOST is set ("" = none), ``default_backend`` its CACHE_BACKEND when unset;
    ``requested`` overrides CACHE_BACKEND altogether (the test settings).
    """
    if requested is None:
        raw = env.str("CACHE_BACKEND", default=default_backend)
        requested = raw.strip().lower()
        if requested not in CHOICES:
            raise ImproperlyConfigured(
                f"CACHE_BACKEND={raw!r} is not a cache backend; use one of: {', '.join(CHOICES)}."
            )
    sentinel = redis_sentinel_from_env(env)
    # With Sentinel the environment's default host is not used: the sentinels name the master.
    redis_url = "" if sentinel else redis_url_from_env(env, default_host=redis_default_host)
    if redis_required and not (redis_url or sentinel):
        raise ImproperlyConfigured(
            "This environment requires Redis: set REDIS_URL (redis://[:password@]host:6379/0), "
            "REDIS_HOST (with REDIS_PORT, REDIS_PASSWORD, REDIS_DB), or REDIS_SENTINELS "
            "(host:port,host:port) with REDIS_SENTINEL_MASTER."
        )
    timeout = _positive_float(env, "REDIS_PROBE_TIMEOUT", 0.3)
    cache_dir = Path(env.str("CACHE_DIR", default=str(instance_dir / "cache"))).absolute()
    choice = probe_backends(
        requested=requested,
        redis_url=redis_url,
        cache_dir=cache_dir,
        timeout=timeout,
        sentinel=sentinel,
    )
    if choice.tier == "redis":
        caches = _redis_caches(redis_url, timeout, sentinel=sentinel)
        session_engine, session_alias = CACHED_DB, "sessions"
    elif choice.tier == "file":
        caches = _file_caches(cache_dir)
        session_engine, session_alias = CACHED_DB, "sessions"
    else:
        caches = {
            "default": {"BACKEND": LOCMEM, "LOCATION": "filamenta-default"},
            "ratelimit": {"BACKEND": COUNTERS},
        }
        session_engine, session_alias = DB, "default"
    return BackendSettings(
        choice=choice,
        caches=caches,
        session_engine=session_engine,
        session_cache_alias=session_alias,
        redis_configured=bool(redis_url or sentinel),
        cache_dir=str(cache_dir),
    )


def redis_url_from_env(env: environ.Env, *, default_host: str = "") -> str:
    """REDIS_URL, else a URL from REDIS_HOST (or ``default_host``) and REDIS_PORT/PASSWORD/DB."""
    url = env.str("REDIS_URL", default="").strip()
    if url:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in REDIS_SCHEMES:
            from filamenta.probe import redact_redis_url

            raise ImproperlyConfigured(
                f"REDIS_URL={redact_redis_url(url)!r} is not a Redis URL; use "
                "redis://[:password@]host:6379/0, rediss://… (TLS) or unix:///path/redis.sock."
            )
        return url
    host = env.str("REDIS_HOST", default="").strip() or default_host
    if not host:
        return ""
    port = whole_number("REDIS_PORT", 6379, minimum=1, maximum=65535)
    db = whole_number("REDIS_DB", 0)
    password = env.str("REDIS_PASSWORD", default="")
    credentials = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{credentials}{host}:{port}/{db}"


def redis_sentinel_from_env(env: environ.Env) -> RedisSentinel | None:
    """REDIS_SENTINELS and REDIS_SENTINEL_MASTER (+ REDIS_SENTINEL_PASSWORD), else None.

    The master's password and database come from REDIS_PASSWORD and REDIS_DB,
    as for a single server. REDIS_URL or REDIS_HOST beside REDIS_SENTINELS is
    refused rather than one silently winning: the operator meant one of them.
    """
    raw = env.str("REDIS_SENTINELS", default="")
    master = env.str("REDIS_SENTINEL_MASTER", default="")
    sentinel_password = env.str("REDIS_SENTINEL_PASSWORD", default="")
    if not raw.strip():
        # Without the sentinels these would be ignored, and the site would
        # quietly use one server (or none) while the operator thinks otherwise.
        for name, shown in (
            ("REDIS_SENTINEL_MASTER", f"REDIS_SENTINEL_MASTER={master!r}"),
            ("REDIS_SENTINEL_PASSWORD", "REDIS_SENTINEL_PASSWORD"),  # never echo a password
        ):
            if env.str(name, default=""):
                raise ImproperlyConfigured(
                    f"{shown} is set but REDIS_SENTINELS is not; set REDIS_SENTINELS to the "
                    "sentinels as host:port pairs (sentinel1:26379,sentinel2:26379), or unset "
                    f"{name} to use one Redis server (REDIS_URL or REDIS_HOST)."
                )
        return None
    for name in ("REDIS_URL", "REDIS_HOST"):
        if env.str(name, default="").strip():
            raise ImproperlyConfigured(
                f"REDIS_SENTINELS={raw!r} and {name} are both set; use either REDIS_SENTINELS "
                f"with REDIS_SENTINEL_MASTER (Sentinel names the master) or {name} (one "
                "server), not both."
            )
    sentinels = sentinel_addresses(raw)
    if not master.strip():
        raise ImproperlyConfigured(
            f"REDIS_SENTINELS={raw!r} is set without REDIS_SENTINEL_MASTER; set it to the "
            "master's name from the sentinels' `sentinel monitor` line, such as mymaster."
        )
    return RedisSentinel(
        sentinels=sentinels,
        master=master_name(master),
        db=whole_number("REDIS_DB", 0),
        password=env.str("REDIS_PASSWORD", default=""),
        sentinel_password=sentinel_password,
    )


def _redis_caches(
    url: str, timeout: float, *, sentinel: RedisSentinel | None = None
) -> dict[str, Any]:
    """The three aliases on Redis: the server at ``url``, or the master ``sentinel`` names."""
    location = sentinel.location if sentinel else url

    def redis(prefix: str) -> dict[str, Any]:
        return {
            "BACKEND": DJANGO_REDIS,
            "LOCATION": [sentinel.master_url] if sentinel else url,
            "KEY_PREFIX": f"filamenta:{prefix}",
            "OPTIONS": {
                # Every call, not only the probe, gives up after `timeout`:
                # without these a dropped packet blocks a request for 5 s or more.
                "SOCKET_CONNECT_TIMEOUT": timeout,
                "SOCKET_TIMEOUT": timeout,
                **(_sentinel_options(sentinel, timeout) if sentinel else {}),
            },
        }

    def failover(prefix: str, fallback: dict[str, Any], *, flush: bool) -> dict[str, Any]:
        return {
            "BACKEND": FAILOVER,
            "LOCATION": location,
            "OPTIONS": {
                "PRIMARY": redis(prefix),
                "FALLBACK": fallback,
                "FLUSH_ON_RECOVERY": flush,
                "CLEAR_FALLBACK_ON_OPEN": flush,
            },
        }

    return {
        "default": failover(
            "cache", {"BACKEND": LOCMEM, "LOCATION": "filamenta-fallback"}, flush=True
        ),
        # Sessions fall back to nothing: cached_db then reads the database,
        # which every process shares, rather than a per-process copy.
        "sessions": failover("sessions", {"BACKEND": DUMMY}, flush=True),
        # Counters stay shared and atomic during an outage. Not flushed on
        # recovery: an old count is not stale data, and flushing would reset limits.
        "ratelimit": failover("ratelimit", {"BACKEND": COUNTERS}, flush=False),
    }


def _sentinel_options(sentinel: RedisSentinel, timeout: float) -> dict[str, Any]:
    """django-redis's SentinelClient, asking the sentinels under the same timeouts.

    LOCATION is a one-item list ([redis://master/db]) rather than the string
    django-redis documents: from a string SentinelClient also builds a replica
    pool and sends every read there, and a replica lags its master, so a
    session just written, a rate-limit count or a @cached version just bumped
    could be read stale. Reads and writes both go to the master.
    """
    sentinel_kwargs: dict[str, Any] = {
        # Given explicitly, these replace redis-py's defaults for the sentinels,
        # whose clients otherwise retry with back-off for seconds per sentinel.
        "socket_connect_timeout": timeout,
        "socket_timeout": timeout,
        "retry": None,
    }
    if sentinel.sentinel_password:
        sentinel_kwargs["password"] = sentinel.sentinel_password
    options: dict[str, Any] = {
        "CLIENT_CLASS": SENTINEL_CLIENT,
        "CONNECTION_FACTORY": SENTINEL_FACTORY,
        "SENTINELS": list(sentinel.sentinels),
        "SENTINEL_KWARGS": sentinel_kwargs,
    }
    if sentinel.password:
        options["PASSWORD"] = sentinel.password
    return options


def _file_caches(cache_dir: Path) -> dict[str, Any]:
    def store(name: str, **options: Any) -> dict[str, Any]:
        return {"BACKEND": FILE_CACHE, "LOCATION": str(cache_dir / name), "OPTIONS": options}

    return {
        "default": store("default"),
        "sessions": {
            "BACKEND": FAILOVER,
            "LOCATION": str(cache_dir / "sessions"),
            "OPTIONS": {
                "PRIMARY": store("sessions"),
                "FALLBACK": {"BACKEND": DUMMY},
                "FLUSH_ON_RECOVERY": True,
            },
        },
        # One shard: the probe opens this very store, and counters are small.
        "ratelimit": store("ratelimit", shards=1),
    }


def _positive_float(env: environ.Env, name: str, default: float) -> float:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 60:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a number of seconds; use a value above 0 and at most 60, "
            f"such as {default}."
        )
    return value
