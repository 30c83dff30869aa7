"""CACHES, SESSION_ENGINE and the rate-limit alias for the tier the configuration names.

| tier   | "default" (site cache)     | sessions                   | "ratelimit"             |
|--------|----------------------------|----------------------------|-------------------------|
| redis  | Redis, else local memory   | cached_db over Redis       | Redis, else DB counters |
| file   | diskcache, else local mem. | cached_db over diskcache   | diskcache, else DB ctrs |
| memory | local memory (per process) | db                         | DB counters             |

"else" is the circuit breaker's fallback while the tier's store is down,
whether it went down under a running process or was down when the process
started. Redis is one server (REDIS_URL or REDIS_HOST…) or the master that
Redis Sentinel names (REDIS_SENTINELS and REDIS_SENTINEL_MASTER); everything
above is the same for both. Sessions are never per process, and a cache that
breaks only costs a read from the database (the session alias falls back to
nothing: a miss).

Nothing here touches a store: settings are read by every process, management
commands included, and the tier must not depend on the luck of the moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from filamenta.backends.file_store import FILE_STORES
from filamenta.backends.sentinel import RedisSentinel, master_name, sentinel_addresses
from filamenta.environment import whole_number

REDIS_SCHEMES = ("redis", "rediss", "unix")
TIERS = ("redis", "file", "memory")
CHOICES = ("auto", *TIERS)
FAILOVER = "filamenta.backends.failover.FailoverCache"  # = failover_cache.FAILOVER_BACKEND
DJANGO_REDIS = "django_redis.cache.RedisCache"
SENTINEL_CLIENT = "django_redis.client.SentinelClient"
SENTINEL_FACTORY = "django_redis.pool.SentinelConnectionFactory"
FILE_CACHE = "filamenta.backends.file_store.FileCache"
COUNTERS = "filamenta.backends.counters.cache.CounterCache"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
DUMMY = "django.core.cache.backends.dummy.DummyCache"
CACHED_DB = "django.contrib.sessions.backends.cached_db"
DB = "django.contrib.sessions.backends.db"


@dataclass(frozen=True)
class BackendSettings:
    """What an environment module copies into its settings, and what the tier follows from.

    The tier is decided from configuration alone, never from whether a store
    answers at this moment: every process of a deployment, however and whenever
    it starts, takes the same tier. A store that is down when a process starts
    only means the process starts degraded, on the breaker's fallbacks
    (filamenta.backends.probe checks the stores; filamenta.backends.failover serves).
    """

    requested: str  # CACHE_BACKEND: auto, redis, file or memory
    tier: str
    reason: str  # why this tier, from configuration
    # The circuit breaker that guards the tier's stores, named for them without
    # credentials ("Redis at redis://host:6379/0", "file store at /path"); "" on memory.
    breaker: str
    redis_location: str  # redacted; "" when no Redis is configured
    redis_configured: bool
    cache_dir: str
    caches: dict[str, Any]
    session_engine: str
    session_cache_alias: str
    # What the probe needs to check the stores; the URL may hold a password.
    redis_url: str = field(default="", repr=False)
    sentinel: RedisSentinel | None = None
    timeout: float = 0.3

    def django_settings(self) -> dict[str, Any]:
        """The settings this sets: ``globals().update(backends.django_settings())``."""
        return {
            "BACKENDS": self,
            "CACHES": self.caches,
            "SESSION_ENGINE": self.session_engine,
            "SESSION_CACHE_ALIAS": self.session_cache_alias,
        }

    @property
    def explicit(self) -> bool:
        """The operator asked for this tier by name: its stores being down is a deploy error."""
        return self.requested == self.tier


def backend_settings(
    *,
    env: environ.Env,
    instance_dir: Path,
    redis_default_host: str = "",
    redis_required: bool = False,
    default_backend: str = "auto",
    requested: str | None = None,
) -> BackendSettings:
    """Read CACHE_BACKEND and the Redis variables and build the settings; no I/O.

    ``redis_default_host`` is the environment's own Redis host when neither
    REDIS_URL nor REDIS_HOST is set ("" = none), ``default_backend`` its CACHE_BACKEND when unset;
    ``requested`` overrides CACHE_BACKEND altogether (the test settings).

    | CACHE_BACKEND | tier                                                  |
    |---------------|-------------------------------------------------------|
    | auto          | redis when a Redis is configured, else file           |
    | redis         | redis; no Redis configured stops start-up             |
    | file, memory  | that tier                                             |
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
    configured = bool(redis_url or sentinel)
    if redis_required and not configured:
        raise ImproperlyConfigured(
            "This environment requires Redis: set REDIS_URL (redis://[:password@]host:6379/0), "
            "REDIS_HOST (with REDIS_PORT, REDIS_PASSWORD, REDIS_DB), or REDIS_SENTINELS "
            "(host:port,host:port) with REDIS_SENTINEL_MASTER."
        )
    if requested == "redis" and not configured:
        raise ImproperlyConfigured(
            "CACHE_BACKEND=redis but no Redis is configured: set REDIS_URL, REDIS_HOST "
            "(with REDIS_PORT, REDIS_PASSWORD, REDIS_DB), or REDIS_SENTINELS with "
            "REDIS_SENTINEL_MASTER."
        )
    timeout = _positive_float(env, "REDIS_PROBE_TIMEOUT", 0.3)
    cache_dir = Path(env.str("CACHE_DIR", default=str(instance_dir / "cache"))).absolute()
    redis_location = ""
    if configured:
        redis_location = sentinel.location if sentinel else redact_redis_url(redis_url)

    if requested == "memory":
        tier, reason = "memory", "CACHE_BACKEND=memory"
    elif requested == "file" or (requested == "auto" and not configured):
        tier = "file"
        reason = f"CACHE_BACKEND={requested}" + (
            "" if requested == "file" else " and no Redis is configured"
        )
    else:
        tier = "redis"
        reason = f"CACHE_BACKEND={requested}" + (
            "" if requested == "redis" else " and a Redis is configured"
        )

    breaker = ""
    if tier == "redis":
        breaker = f"Redis at {redis_location}"
        caches = _redis_caches(redis_url, timeout, sentinel=sentinel, breaker=breaker)
        session_engine, session_alias = CACHED_DB, "sessions"
    elif tier == "file":
        breaker = f"file store at {cache_dir}"
        caches = _file_caches(cache_dir, breaker=breaker)
        session_engine, session_alias = CACHED_DB, "sessions"
    else:
        caches = {
            "default": {"BACKEND": LOCMEM, "LOCATION": "filamenta-default"},
            "ratelimit": {"BACKEND": COUNTERS},
        }
        session_engine, session_alias = DB, "default"
    return BackendSettings(
        requested=requested,
        tier=tier,
        reason=reason,
        breaker=breaker,
        redis_location=redis_location,
        redis_configured=configured,
        cache_dir=str(cache_dir),
        caches=caches,
        session_engine=session_engine,
        session_cache_alias=session_alias,
        redis_url=redis_url,
        sentinel=sentinel,
        timeout=timeout,
    )


def redis_url_from_env(env: environ.Env, *, default_host: str = "") -> str:
    """REDIS_URL, else a URL from REDIS_HOST (or ``default_host``) and REDIS_PORT/PASSWORD/DB."""
    url = env.str("REDIS_URL", default="").strip()
    if url:
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in REDIS_SCHEMES:
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
    url: str, timeout: float, *, breaker: str, sentinel: RedisSentinel | None = None
) -> dict[str, Any]:
    """The three aliases on Redis: the server at ``url``, or the master ``sentinel`` names."""

    def redis() -> dict[str, Any]:
        return {
            "BACKEND": DJANGO_REDIS,
            "LOCATION": [sentinel.master_url] if sentinel else url,
            "OPTIONS": {
                # Every call, not only the probe, gives up after `timeout`:
                # without these a dropped packet blocks a request for 5 s or more.
                "SOCKET_CONNECT_TIMEOUT": timeout,
                "SOCKET_TIMEOUT": timeout,
                **(_sentinel_options(sentinel, timeout) if sentinel else {}),
            },
        }

    return {
        "default": _failover(
            breaker,
            redis(),
            {"BACKEND": LOCMEM, "LOCATION": "filamenta-fallback"},
            key_prefix="filamenta:cache",
        ),
        # Sessions fall back to nothing: cached_db then reads the database,
        # which every process shares, rather than a per-process copy.
        "sessions": _failover(
            breaker, redis(), {"BACKEND": DUMMY}, key_prefix="filamenta:sessions"
        ),
        # Counters stay shared and atomic during an outage. Not flushed on
        # recovery: an old count is not stale data, and flushing would reset limits.
        "ratelimit": _failover(
            breaker, redis(), {"BACKEND": COUNTERS}, flush=False, key_prefix="filamenta:ratelimit"
        ),
    }


def _failover(
    breaker: str,
    primary: dict[str, Any],
    fallback: dict[str, Any],
    *,
    flush: bool = True,
    key_prefix: str = "",
) -> dict[str, Any]:
    """A FailoverCache entry; every alias of a tier shares the one ``breaker``.

    ``flush``: the recovery trial deletes the alias's keys from the primary
    (values written or deleted during the outage went to the fallback, so the
    primary's may be stale) and an outage starts by emptying the fallback
    (it may hold a previous outage's values).
    """
    return {
        "BACKEND": FAILOVER,
        # Applied to the primary and the fallback alike: several aliases share one Redis database.
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "BREAKER": breaker,
            "PRIMARY": primary,
            "FALLBACK": fallback,
            "FLUSH_ON_RECOVERY": flush,
            "CLEAR_FALLBACK_ON_OPEN": flush,
        },
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


def _file_caches(cache_dir: Path, *, breaker: str) -> dict[str, Any]:
    """The three aliases on diskcache stores in ``cache_dir``, each behind the breaker.

    A store that turns read-only, fills its disk or is damaged costs misses,
    never a 500: the same fallbacks as Redis's (local memory, the database
    for sessions, the database's counters for rate limits).
    """

    def store(name: str) -> dict[str, Any]:
        options = {"shards": FILE_STORES[name]}
        return {"BACKEND": FILE_CACHE, "LOCATION": str(cache_dir / name), "OPTIONS": options}

    return {
        "default": _failover(
            breaker, store("default"), {"BACKEND": LOCMEM, "LOCATION": "filamenta-fallback"}
        ),
        "sessions": _failover(breaker, store("sessions"), {"BACKEND": DUMMY}),
        "ratelimit": _failover(breaker, store("ratelimit"), {"BACKEND": COUNTERS}, flush=False),
    }


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
