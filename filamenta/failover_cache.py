"""A cache that uses its primary store (Redis) while it answers and a local one when it does not.

Why not django-redis's IGNORE_EXCEPTIONS: it turns an outage into misses for
``get`` but into ``None`` for ``add`` and ``incr``, which django-ratelimit reads
as "limited" (every limited view refuses) or, failing open, "not limited";
and each call still waits its socket timeout. Here a circuit breaker
(filamenta.circuit_breaker) stops calling the primary after a few failures,
calls go to the fallback (local memory, the database's counters, or nothing),
and a half-open trial lets the primary back in within seconds.

Stale data after recovery: writes and deletes made during the outage reached
only the fallback, so the primary may still hold values they replaced (Redis
kept its data through a network cut, or reloaded it from disk). With
``FLUSH_ON_RECOVERY`` the recovery trial deletes this alias's keys from the
primary before the breaker closes; nothing from before the outage is served
after it. ``CLEAR_FALLBACK_ON_OPEN`` empties the fallback as an outage starts,
for the same reason in the other direction (it may hold a previous outage's
values).

CACHES entry::

    {"BACKEND": "filamenta.failover_cache.FailoverCache",
     "LOCATION": "redis://127.0.0.1:6379/0",   # names the breaker; shared by aliases
                                               # (redis+sentinel://h:26379/mymaster/0 with Sentinel)
     "OPTIONS": {"PRIMARY": {...a CACHES entry...},
                 "FALLBACK": {...a CACHES entry...},
                 "FLUSH_ON_RECOVERY": True, "CLEAR_FALLBACK_ON_OPEN": True}}
"""

from __future__ import annotations

import sqlite3
from typing import Any

from diskcache import Timeout as DiskcacheTimeout
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.utils.module_loading import import_string
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from filamenta.circuit_breaker import CLOSED, HALF_OPEN, OPEN, circuit_breaker_for
from filamenta.probe import redact_redis_url
from filamenta.redis_sentinel import SENTINEL_SCHEME

FAILOVER_BACKEND = "filamenta.failover_cache.FailoverCache"
# What "the store is unavailable" looks like; anything else is a bug and is raised.
STORE_ERRORS = (ConnectionInterrupted, RedisError, OSError, sqlite3.Error, DiskcacheTimeout)


def _build(config: dict[str, Any]) -> BaseCache:
    params = {k: v for k, v in config.items() if k not in {"BACKEND", "LOCATION"}}
    return import_string(config["BACKEND"])(config.get("LOCATION", ""), params)


def breaker_name(location: str) -> str:
    """The breaker's name, also its log prefix: the store without credentials."""
    if location.startswith(f"{SENTINEL_SCHEME}://"):  # RedisSentinel.location: no credentials
        return f"Redis at {location}"
    if location.startswith(("redis://", "rediss://", "unix://")):
        return f"Redis at {redact_redis_url(location)}"
    return f"store at {location}"


class FailoverCache(BaseCache):
    """A Django cache backend; see the module docstring for OPTIONS."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self.primary = _build(options["PRIMARY"])
        self.fallback = _build(options["FALLBACK"])
        self.breaker = circuit_breaker_for(breaker_name(location))
        namespace = repr(sorted(options["PRIMARY"].items()))
        if options.get("FLUSH_ON_RECOVERY"):
            self.breaker.on_recover[namespace] = self._flush_primary
        else:
            self.breaker.on_recover.setdefault(namespace, self._touch_primary)
        if options.get("CLEAR_FALLBACK_ON_OPEN"):
            self.breaker.on_open[namespace] = self.fallback.clear

    def _flush_primary(self) -> None:
        delete_pattern = getattr(self.primary, "delete_pattern", None)
        if delete_pattern is not None:  # django-redis: only this alias's KEY_PREFIX
            delete_pattern("*")
        else:
            self.primary.clear()

    def _touch_primary(self) -> None:
        self.primary.has_key("filamenta:breaker-trial")

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        breaker = self.breaker
        if breaker.state == OPEN and breaker.claim_trial():
            breaker.recover()
        if breaker.state not in (OPEN, HALF_OPEN):
            try:
                result = getattr(self.primary, method)(*args, **kwargs)
            except STORE_ERRORS as exc:
                breaker.record_failure(exc)
            else:
                breaker.record_success()
                return result
        return getattr(self.fallback, method)(*args, **kwargs)

    # Django's cache API, every call through _call. ValueError from incr on a
    # missing key is the API's contract, not an outage: it passes through.

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._call("add", key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call("get", key, default, version)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        return self._call("set", key, value, timeout, version)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._call("touch", key, timeout, version)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._call("delete", key, version)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._call("get_many", keys, version)

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list:
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys: Any, version: Any = None) -> None:
        return self._call("delete_many", keys, version)

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._call("has_key", key, version)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._call("incr", key, delta, version)

    def decr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return self._call("incr", key, -delta, version)

    def clear(self) -> None:
        # django-redis's clear() is FLUSHDB, which would also wipe the other
        # aliases sharing the database: delete this alias's keys only.
        self.fallback.clear()
        if self.breaker.state == CLOSED:
            try:
                self._flush_primary()
            except STORE_ERRORS as exc:
                self.breaker.record_failure(exc)

    def close(self, **kwargs: Any) -> None:
        self.primary.close(**kwargs)
        self.fallback.close(**kwargs)
