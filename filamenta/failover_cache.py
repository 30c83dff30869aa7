"""A cache that uses its primary store while it answers and a local one when it does not.

The primary is Redis on the redis tier and a diskcache store on the file
tier; the fallback is local memory, the database's counters, or nothing.

Why not django-redis's IGNORE_EXCEPTIONS: it turns an outage into misses for
``get`` but into ``None`` for ``add`` and ``incr``, which django-ratelimit reads
as "limited" (every limited view refuses) or, failing open, "not limited";
and each call still waits its socket timeout. Here a circuit breaker
(filamenta.circuit_breaker) stops calling the primary after the first call
that times out (or a few quick failures), calls go to the fallback, and a
half-open trial lets the primary back in within seconds.

Stale data after recovery: writes and deletes made during the outage reached
only the fallback, so the primary may still hold values they replaced (Redis
kept its data through a network cut, or reloaded it from disk). With
``FLUSH_ON_RECOVERY`` the recovery trial deletes this alias's keys, of every
version, from the primary before the breaker closes; nothing from before the
outage is served after it. ``CLEAR_FALLBACK_ON_OPEN`` empties the fallback as
an outage starts, for the same reason in the other direction (it may hold a
previous outage's values). Without a flush the trial is a write, a read and a
delete, so a store that reads but refuses writes (read-only, disk full) stays out.

CACHES entry (built by filamenta.backend_settings)::

    {"BACKEND": "filamenta.failover_cache.FailoverCache",
     "OPTIONS": {"BREAKER": "Redis at redis://127.0.0.1:6379/0",  # shared by the tier's aliases
                 "PRIMARY": {...a CACHES entry...},
                 "FALLBACK": {...a CACHES entry...},
                 "FLUSH_ON_RECOVERY": True, "CLEAR_FALLBACK_ON_OPEN": True}}
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from diskcache import Timeout as DiskcacheTimeout
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.utils.module_loading import import_string
from django_redis.client.default import glob_escape
from django_redis.exceptions import ConnectionInterrupted
from django_redis.util import CacheKey
from redis.exceptions import RedisError

from filamenta.circuit_breaker import CLOSED, HALF_OPEN, OPEN, circuit_breaker_for

FAILOVER_BACKEND = "filamenta.failover_cache.FailoverCache"
# What "the store is unavailable" looks like; anything else is a bug and is raised.
STORE_ERRORS = (ConnectionInterrupted, RedisError, OSError, sqlite3.Error, DiskcacheTimeout)


def _build(config: dict[str, Any]) -> BaseCache:
    params = {k: v for k, v in config.items() if k not in {"BACKEND", "LOCATION"}}
    return import_string(config["BACKEND"])(config.get("LOCATION", ""), params)


class FailoverCache(BaseCache):
    """A Django cache backend; see the module docstring for OPTIONS."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self.primary = _build(options["PRIMARY"])
        self.fallback = _build(options["FALLBACK"])
        self.breaker = circuit_breaker_for(options["BREAKER"])
        namespace = repr(sorted(options["PRIMARY"].items()))
        if options.get("FLUSH_ON_RECOVERY"):
            self.breaker.on_recover[namespace] = self._flush_primary
        else:
            self.breaker.on_recover.setdefault(namespace, self._round_trip)
        if options.get("CLEAR_FALLBACK_ON_OPEN"):
            self.breaker.on_open[namespace] = self.fallback.clear

    def _reopen_primary(self) -> None:
        reopen = getattr(self.primary, "reopen", None)  # the file store: open its files afresh
        if reopen is not None:
            reopen()

    def _flush_primary(self) -> None:
        """Delete every key of this alias from the primary, whatever its version."""
        self._reopen_primary()
        client = getattr(self.primary, "client", None)
        if client is None:  # diskcache: the directory holds this alias only
            self.primary.clear()
            return
        # django-redis's delete_pattern("*") matches the current VERSION only
        # (keys are "<prefix>:<version>:<key>"): build the pattern for every
        # version ourselves. A CacheKey is used by django-redis as it is.
        pattern = self.primary.key_func("*", glob_escape(self.primary.key_prefix), "*")
        client.delete_pattern(CacheKey(pattern))

    def _round_trip(self) -> None:
        self._reopen_primary()
        key = f"filamenta:breaker-trial:{uuid.uuid4().hex}"
        self.primary.set(key, 1, 10)
        if self.primary.get(key) != 1:
            raise OSError(f"{self.breaker.name} did not read back what it wrote")
        self.primary.delete(key)

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
