"""CACHES, SESSION_ENGINE and the rate-limit alias for the tier the probe chose.

| tier   | "default" (site cache)     | sessions                        | "ratelimit"             |
|--------|----------------------------|---------------------------------|-------------------------|
| redis  | Redis, else local memory   | cached_db over Redis, else db   | Redis, else DB counters |
| file   | diskcache in CACHE_DIR     | cached_db over diskcache        | diskcache in CACHE_DIR  |
| memory | local memory (per process) | db                              | DB counters             |

"else" is the circuit breaker's fallback while Redis is down at run time.
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

from filamenta.probe import CHOICES, BackendChoice, probe_backends

REDIS_SCHEMES = ("redis", "rediss", "unix")
FAILOVER = "filamenta.failover_cache.FailoverCache"  # = failover_cache.FAILOVER_BACKEND
DJANGO_REDIS = "django_redis.cache.RedisCache"
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
    redis_url = redis_url_from_env(env, default_host=redis_default_host)
    if redis_required and not redis_url:
        raise ImproperlyConfigured(
            "This environment requires Redis: set REDIS_URL (redis://[:password@]host:6379/0) "
            "or REDIS_HOST (with REDIS_PORT, REDIS_PASSWORD, REDIS_DB)."
        )
    timeout = _positive_float(env, "REDIS_PROBE_TIMEOUT", 0.3)
    cache_dir = Path(env.str("CACHE_DIR", default=str(instance_dir / "cache"))).absolute()
    choice = probe_backends(
        requested=requested, redis_url=redis_url, cache_dir=cache_dir, timeout=timeout
    )
    if choice.tier == "redis":
        caches = _redis_caches(redis_url, timeout)
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
        redis_configured=bool(redis_url),
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
    port = _whole_number(env, "REDIS_PORT", 6379)
    db = _whole_number(env, "REDIS_DB", 0)
    password = env.str("REDIS_PASSWORD", default="")
    credentials = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{credentials}{host}:{port}/{db}"


def _redis_caches(url: str, timeout: float) -> dict[str, Any]:
    def redis(prefix: str) -> dict[str, Any]:
        return {
            "BACKEND": DJANGO_REDIS,
            "LOCATION": url,
            "KEY_PREFIX": f"filamenta:{prefix}",
            "OPTIONS": {
                # Every call, not only the probe, gives up after `timeout`:
                # without these a dropped packet blocks a request for 5 s or more.
                "SOCKET_CONNECT_TIMEOUT": timeout,
                "SOCKET_TIMEOUT": timeout,
            },
        }

    def failover(prefix: str, fallback: dict[str, Any], *, flush: bool) -> dict[str, Any]:
        return {
            "BACKEND": FAILOVER,
            "LOCATION": url,
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


def _whole_number(env: environ.Env, name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    if not raw.isdigit():
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a whole number; set it to an integer such as {default}."
        )
    return int(raw)


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
