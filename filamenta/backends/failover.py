"""A cache that uses its primary store while it answers and a local one when it does not.

The primary is Redis on the redis tier and a diskcache store on the file
tier; the fallback is local memory, the database's counters, or nothing.

Why not django-redis's IGNORE_EXCEPTIONS: it turns an outage into misses for
``get`` but into ``None`` for ``add`` and ``incr``, which django-ratelimit reads
as "limited" (every limited view refuses) or, failing open, "not limited";
and each call still waits its socket timeout. Here a circuit breaker
(filamenta.backends.breaker) stops calling the primary after the first call
that fails, calls go to the fallback, and a
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

Processes that did not see the outage: a worker started after Redis came back
(gunicorn recycles them), or another server of a fleet, would read the
primary's stale values before any process that saw the outage had flushed
them. So each breaker that opens counts one outage in the database (shared by
every process and server), and a flush records in the primary the count it
caught up with; a process that starts with the store answering compares the
two (:meth:`FailoverCache.catch_up`) and flushes when the primary is behind.

CACHES entry (built by filamenta.backends.settings)::

    {"BACKEND": "filamenta.backends.failover.FailoverCache",
     "KEY_PREFIX": "filamenta:cache",   # and VERSION, KEY_FUNCTION: for both stores
     "OPTIONS": {"BREAKER": "Redis at redis://127.0.0.1:6379/0",  # shared by the tier's aliases
                 "PRIMARY": {...a CACHES entry...},
                 "FALLBACK": {...a CACHES entry...},
                 "FLUSH_ON_RECOVERY": True, "CLEAR_FALLBACK_ON_OPEN": True}}
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import uuid
from typing import Any

from diskcache import Timeout as DiskcacheTimeout
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DatabaseError
from django.utils.module_loading import import_string
from django_redis.client.default import glob_escape
from django_redis.exceptions import ConnectionInterrupted
from django_redis.util import CacheKey
from redis.exceptions import RedisError

from filamenta.backends.breaker import CLOSED, HALF_OPEN, OPEN, circuit_breaker_for
from filamenta.backends.counters.cache import CounterCache

logger = logging.getLogger("filamenta.backends")

FAILOVER_BACKEND = "filamenta.backends.failover.FailoverCache"
# In each flushed primary: the number of outages (in the database) it was flushed after.
CAUGHT_UP_KEY = "filamenta:outages-caught-up"
# What "the store is unavailable" looks like; anything else is a bug and is raised.
# What primary_call gives when the primary is out (breaker open) or failed just now.
NOT_ANSWERED = object()
STORE_ERRORS = (ConnectionInterrupted, RedisError, OSError, sqlite3.Error, DiskcacheTimeout)


def _outages() -> CounterCache:
    return CounterCache("", {})


def _outages_key(breaker: str) -> str:
    # The breaker's name may be a long path; the key only has to be one per store.
    return f"filamenta:outages:{hashlib.sha256(breaker.encode()).hexdigest()[:32]}"


def outage_count(breaker: str) -> int:
    """How many times a process has found ``breaker``'s store down (the database's count)."""
    return _outages().get(_outages_key(breaker), 0)


def _outage_begins(breaker: str) -> None:
    key = _outages_key(breaker)
    try:
        store = _outages()
        if not store.add(key, 1, None):
            store.incr(key)
    except DatabaseError as exc:  # the database is down too: nothing to share it through
        logger.warning("%s: could not count the outage in the database (%s)", breaker, exc)


# Set on the FailoverCache's own CACHES entry, they hold for both of its stores,
# so the keys are the same whichever answers (and clear() finds them).
KEY_SETTINGS = ("KEY_PREFIX", "VERSION", "KEY_FUNCTION")


def _build(config: dict[str, Any], outer: dict[str, Any]) -> BaseCache:
    params = {k: v for k, v in config.items() if k not in {"BACKEND", "LOCATION"}}
    for name in KEY_SETTINGS:
        if name in outer and name not in params:
            params[name] = outer[name]
    return import_string(config["BACKEND"])(config.get("LOCATION", ""), params)


class FailoverCache(BaseCache):
    """A Django cache backend; see the module docstring for OPTIONS."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self.primary = _build(options["PRIMARY"], params)
        self.fallback = _build(options["FALLBACK"], params)
        self.breaker = circuit_breaker_for(options["BREAKER"])
        self.flushes = bool(options.get("FLUSH_ON_RECOVERY"))
        # One hook per alias: its primary store and the keys it uses there.
        keys = [(name, params.get(name)) for name in KEY_SETTINGS]
        namespace = repr((keys, sorted(options["PRIMARY"].items())))
        self.breaker.on_open.setdefault("outage", lambda: _outage_begins(self.breaker.name))
        if self.flushes:
            self.breaker.on_recover[namespace] = self._flush_primary
        else:
            self.breaker.on_recover.setdefault(namespace, self._round_trip)
        if options.get("CLEAR_FALLBACK_ON_OPEN"):
            self.breaker.on_open[namespace] = self.fallback.clear

    def _reopen_primary(self) -> None:
        reopen = getattr(self.primary, "reopen", None)  # the file store: open its files afresh
        if reopen is not None:
            reopen()

    def catch_up(self) -> bool:
        """Flush the primary if it missed outages that other processes saw; True if it did.

        Called as a process starts with the store answering (filamenta.backends.probe).
        """
        if not self.flushes:
            return False
        count = outage_count(self.breaker.name)
        if self.primary.get(CAUGHT_UP_KEY, 0) >= count:
            return False
        self._flush_primary(count)
        logger.info("%s: flushed what was cached before outage %d", self.breaker.name, count)
        return True

    def _flush_primary(self, outages: int | None = None) -> None:
        """Delete every key of this alias from the primary, whatever its version."""
        if outages is None:
            try:
                outages = outage_count(self.breaker.name)
            except DatabaseError:
                outages = 0  # recorded as behind: the next process to start flushes again
        self._reopen_primary()
        client = getattr(self.primary, "client", None)
        if client is None:  # diskcache: the directory holds this alias only
            self.primary.clear()
        else:
            # django-redis's delete_pattern("*") matches the current VERSION only
            # (keys are "<prefix>:<version>:<key>"): build the pattern for every
            # version ourselves. A CacheKey is used by django-redis as it is.
            pattern = self.primary.key_func("*", glob_escape(self.primary.key_prefix), "*")
            client.delete_pattern(CacheKey(pattern))
        self.primary.set(CAUGHT_UP_KEY, outages, None)

    def _round_trip(self) -> None:
        self._reopen_primary()
        key = f"filamenta:breaker-trial:{uuid.uuid4().hex}"
        self.primary.set(key, 1, 10)
        if self.primary.get(key) != 1:
            raise OSError(f"{self.breaker.name} did not read back what it wrote")
        self.primary.delete(key)

    def primary_call(self, method: str, *args: Any) -> Any:
        """``method`` on the primary alone, or :data:`NOT_ANSWERED` when it does not answer.

        For readers that must know which store answered: a value from the
        fallback is this process's own, and the page cache trusts the versions
        it reads beside a page only when every process shares them.
        """
        breaker = self.breaker
        if breaker.state == OPEN and breaker.claim_trial():
            breaker.recover()
        if breaker.state in (OPEN, HALF_OPEN):
            return NOT_ANSWERED
        try:
            return getattr(self.primary, method)(*args)
        except STORE_ERRORS as exc:
            breaker.record_failure(exc)
            return NOT_ANSWERED

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
