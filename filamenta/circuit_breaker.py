"""A circuit breaker per store, so that a dead Redis costs a few timeouts, not one per request.

closed: calls go through; ``FAILURE_THRESHOLD`` failures in a row open it.
open: calls skip the store for ``RESET_TIMEOUT`` seconds.
half-open: one caller runs the recovery (the trial); success closes the
breaker, failure opens it for another ``RESET_TIMEOUT``.

The state is per process (each worker finds out on its own) and shared by
every cache alias on the same store, so an outage is logged once per process,
not once per alias. Opening and closing are logged at WARNING and INFO; the
routine half-open trials of a long outage at DEBUG, so a day-long outage
does not write a line every few seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("filamenta.backends")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
FAILURE_THRESHOLD = 3
RESET_TIMEOUT = 2.0


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
        self._failures = 0
        self._opened_at = 0.0
        self._lock = threading.Lock()
        # Keyed by a namespace so the per-thread cache objects Django builds
        # register one hook per alias, not one per thread.
        self.on_open: dict[str, Callable[[], None]] = {}
        self.on_recover: dict[str, Callable[[], None]] = {}

    def allow(self) -> bool:
        """True when the caller may use the store now (closed)."""
        return self.state == CLOSED

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
        logger.info("%s: back, circuit closed", self.name)
        return True

    def record_success(self) -> None:
        if self._failures:
            with self._lock:
                self._failures = 0

    def record_failure(self, exc: BaseException) -> None:
        with self._lock:
            if self.state != CLOSED:
                return
            self._failures += 1
            if self._failures < self.failure_threshold:
                return
            self.state = OPEN
            self._opened_at = time.monotonic()
        logger.warning(
            "%s: %d failures in a row (%s: %s), circuit open: using the fallback, "
            "trying again every %g s",
            self.name,
            self.failure_threshold,
            type(exc).__name__,
            exc,
            self.reset_timeout,
        )
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
        return _breakers[name]


def circuit_breaker_state(name: str) -> str | None:
    """closed / open / half-open, or None when this process has never used that store."""
    breaker = _breakers.get(name)
    return breaker.state if breaker else None
