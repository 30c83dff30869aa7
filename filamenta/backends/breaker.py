"""A circuit breaker per store, so that a dead store costs one timeout, not one per request.

closed: calls go through; the first call that fails opens it. Not three in a
row: a hung server would cost each of them its timeout in one request, and
a store that refuses writes, is full or damaged (the file tier) fails the
next call the same way. A blip costs a few seconds on the fallbacks and a
cache refill.
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
``manage.py backends`` to read (filamenta.backends.worker_state).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from filamenta.backends import worker_state

logger = logging.getLogger("filamenta.backends")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
RESET_TIMEOUT = 2.0


class CircuitBreaker:
    """Thread-safe; hooks run on state changes (clear the fallback, flush stale entries)."""

    def __init__(self, name: str, *, reset_timeout: float = RESET_TIMEOUT) -> None:
        self.name = name
        self.reset_timeout = reset_timeout
        self.state = CLOSED
        self.since = time.time()
        self.last_error = ""
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
            self.since = time.time()
            self.last_error = ""
        logger.info("%s: back, circuit closed", self.name)
        worker_state.report(self)
        return True

    def record_failure(self, exc: BaseException) -> None:
        """A call to the store failed: open the breaker (once, whichever caller gets here first)."""
        with self._lock:
            if self.state != CLOSED:
                return
            self._open(exc)
        logger.warning(
            "%s: %s: %s, circuit open: using the fallback, trying again every %g s",
            self.name,
            type(exc).__name__,
            exc,
            self.reset_timeout,
        )
        self._opened()

    def open_at_start(self, reason: str) -> None:
        """Start open: the store did not answer as this process started (see probe)."""
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
