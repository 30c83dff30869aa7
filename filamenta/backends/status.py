"""What this deployment uses for cache, sessions and rate limits, and whether its store is up.

Reads the configuration in settings (settings.BACKENDS) and the live state of
circuit breakers; it never probes. ``backend_status()`` is this process's view
(GET /healthz, the admin's operations page); ``workers_status()`` adds what the
other processes on this host wrote (``manage.py backends``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from filamenta.backends import worker_state
from filamenta.backends.breaker import CLOSED, circuit_breaker_state
from filamenta.backends.failover import FAILOVER_BACKEND


def _describe(config: dict[str, Any]) -> str:
    if config["BACKEND"] != FAILOVER_BACKEND:
        return config["BACKEND"]
    options = config["OPTIONS"]
    return (
        f"{options['PRIMARY']['BACKEND']} (falls back to {options['FALLBACK']['BACKEND']} "
        "while it is down)"
    )


def backend_status() -> dict[str, Any]:
    """{"tier", "reason", "store", "state", "cache_backend", "session_engine",
    "ratelimit_backend", "redis": {"configured", "location", "state"}}.

    ``store`` names what the tier's breaker guards ("" on the memory tier) and
    ``state`` is this process's breaker: closed, open or half-open (a process
    that has not touched the cache yet has no breaker: closed), or "none" on
    the memory tier. ``redis.state`` is the same for Redis, "not configured",
    or "not in use" when Redis is configured but CACHE_BACKEND names another tier.
    """
    backends = settings.BACKENDS
    state = "none"
    if backends.breaker:
        state = circuit_breaker_state(backends.breaker) or CLOSED
    if not backends.redis_configured:
        redis_state = "not configured"
    elif backends.tier != "redis":
        redis_state = "not in use"
    else:
        redis_state = state
    return {
        "tier": backends.tier,
        "reason": backends.reason,
        "store": backends.breaker,
        "state": state,
        "cache_backend": _describe(settings.CACHES["default"]),
        "session_engine": settings.SESSION_ENGINE,
        "ratelimit_backend": _describe(settings.CACHES[settings.RATELIMIT_USE_CACHE]),
        "redis": {
            "configured": backends.redis_configured,
            "location": backends.redis_location,
            "state": redis_state,
        },
    }


def workers_status() -> dict[str, Any]:
    """backend_status() as the running server sees it: the breakers its processes reported.

    ``workers`` lists each live process on this host that has used the store
    (pid, started, its breaker's state, since, last error); ``state`` is
    "open" when any of them is open, "closed" when all are closed, and
    "unknown" when none has reported (the server is not running here, has not
    served yet, or cannot write settings.BACKEND_STATE_DIR).
    """
    status = backend_status()
    backends = settings.BACKENDS
    workers = []
    if backends.breaker:
        for body in worker_state.running_workers(settings.BACKEND_STATE_DIR):
            breaker = body["breakers"].get(backends.breaker)
            if breaker:
                workers.append({"pid": body["pid"], "started": body["started"], **breaker})
    states = {worker["state"] for worker in workers}
    if not backends.breaker:
        state = "none"
    elif not workers:
        state = "unknown"
    elif states == {CLOSED}:
        state = CLOSED
    else:
        state = "open"
    status["state"] = state
    if status["redis"]["state"] not in ("not configured", "not in use"):
        status["redis"]["state"] = state
    status["workers"] = workers
    return status
