"""A circuit breaker per store, so that a dead store costs one timeout, not one per request.

closed: calls go through. A refused or reset connection is counted, and
``FAILURE_THRESHOLD`` of them in a row open it (a Redis restarting refuses for
a moment, and opening means flushing the cache on recovery); any other failure
opens it at once: a call that timed out (a hung server would otherwise cost
each request its timeout, three times over) or a store that refuses writes,
is full or damaged (the file tier), which the next call would hit again.
open: calls skip the store for ``RESET_TIMEOUT`` seconds.
half-open: one caller runs the recovery (the trial); success closes the
breaker, failure opens it for another ``RESET_TIMEOUT``.

A process that starts while its store is down starts open
(:meth:`CircuitBreaker.open_at_start`): it serves from the fallbacks like its
siblings and closes with the first successful trial.

The state is per process (each worker finds out on its own) and shared by
every cache alias on the same store, so an outage is logged once per process,
not once per alias. Opening and closing are logged at WARNING and INFO; the
routine half-open trials of a long outage at DEBUG, so a day-long outage
does not write a line every few seconds. Each change is also written for
``manage.py backends`` to read (filamenta.worker_state).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from filamenta import worker_state

logger = logging.getLogger("filamenta.backends")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
FAILURE_THRESHOLD = 3
RESET_TIMEOUT = 2.0
TIMEOUTS = (RedisTimeoutError, TimeoutError)  # socket.timeout is TimeoutError


class CircuitBreaker:
    """Thread-safe; hooks run on state changes (clear the fallback, flush stale entries)."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = FAILURE_THRESHOLD,
        reset_timeout: float = RESET_TIMEOUT,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.state = CLOSED
        self.since = time.time()
        self.last_error = ""
        self._failures = 0
        self._opened_at = 0.0
        self._lock = threading.Lock()
        # Keyed by a namespace so the per-thread cache objects Django builds
        # register one hook per alias, not one per thread.
        self.on_open: dict[str, Callable[[], None]] = {}
        self.on_recover: dict[str, Callable[[], None]] = {}

    def claim_trial(self) -> bool:
        """True for the one caller that should try to recover an open breaker."""
        with self._lock:
            if self.state != OPEN or time.monotonic() - self._opened_at < self.reset_timeout:
                return False
            self.state = HALF_OPEN
        logger.debug("%s: half-open, trying it again", self.name)
        return True

    def recover(self) -> bool:
        """Run the recovery hooks as the trial; close on success. Returns whether it closed."""
        try:
            for hook in list(self.on_recover.values()):
                hook()
        except Exception as exc:  # any failure keeps the store out
            self._reopen(exc)
            return False
        with self._lock:
            self.state = CLOSED
            self._failures = 0
            self.since = time.time()
            self.last_error = ""
        logger.info("%s: back, circuit closed", self.name)
        worker_state.report(self)
        return True

    def record_success(self) -> None:
        if self._failures:
            with self._lock:
                self._failures = 0

    def record_failure(self, exc: BaseException) -> None:
        """Count a failed call; anything but a refused connection opens the breaker at once."""
        timed_out = isinstance(exc, TIMEOUTS)
        counted = isinstance(exc, RedisConnectionError) and not timed_out
        with self._lock:
            if self.state != CLOSED:
                return
            self._failures += 1
            if counted and self._failures < self.failure_threshold:
                return
            failures = self._failures
            self._open(exc)
        if timed_out:
            what = "a call timed out"
        elif counted:
            what = f"{failures} failures in a row"
        else:
            what = "a call failed"
        logger.warning(
            "%s: %s (%s: %s), circuit open: using the fallback, trying again every %g s",
            self.name,
            what,
            type(exc).__name__,
            exc,
            self.reset_timeout,
        )
        self._opened()

    def open_at_start(self, reason: str) -> None:
        """Start open: the store did not answer as this process started (filamenta.probe)."""
        with self._lock:
            if self.state != CLOSED:
                return
            self._open(reason)
        logger.warning(
            "%s: down as this process starts (%s): starting degraded on the fallback, "
            "trying again every %g s",
            self.name,
            reason,
            self.reset_timeout,
        )
        self._opened()

    def _open(self, cause: BaseException | str) -> None:  # under the lock
        self.state = OPEN
        self._opened_at = time.monotonic()
        self.since = time.time()
        self.last_error = cause if isinstance(cause, str) else f"{type(cause).__name__}: {cause}"

    def _opened(self) -> None:
        worker_state.report(self)
        for hook in list(self.on_open.values()):
            try:
                hook()
            except Exception:
                logger.exception("%s: a hook run on opening failed", self.name)

    def _reopen(self, exc: BaseException) -> None:
        with self._lock:
            self.state = OPEN
            self._opened_at = time.monotonic()
        logger.debug("%s: still down (%s: %s)", self.name, type(exc).__name__, exc)


_breakers: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def circuit_breaker_for(name: str) -> CircuitBreaker:
    """The process's breaker for a store, e.g. ``Redis at redis://127.0.0.1:6379/0``."""
    with _registry_lock:
        if name not in _breakers:
            _breakers[name] = CircuitBreaker(name)
            created = _breakers[name]
        else:
            return _breakers[name]
    worker_state.report(created)
    return created


def circuit_breaker_state(name: str) -> str | None:
    """closed / open / half-open, or None when this process has never used that store."""
    breaker = _breakers.get(name)
    return breaker.state if breaker else None


def circuit_breakers() -> list[CircuitBreaker]:
    """Every breaker this process has made."""
    return list(_breakers.values())
