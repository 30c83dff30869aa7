"""What this process uses for cache, sessions and rate limits, and whether Redis is up.

Reads the record the probe left in settings (settings.BACKENDS) and the live
state of this process's circuit breaker; it never probes. Shared by GET
/healthz, ``manage.py backends`` and the admin's operations page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from filamenta.circuit_breaker import circuit_breaker_state
from filamenta.failover_cache import FAILOVER_BACKEND, breaker_name


def _describe(config: dict[str, Any]) -> str:
    if config["BACKEND"] != FAILOVER_BACKEND:
        return config["BACKEND"]
    options = config["OPTIONS"]
    return (
        f"{options['PRIMARY']['BACKEND']} (falls back to {options['FALLBACK']['BACKEND']} "
        "while it is down)"
    )


def backend_status() -> dict[str, Any]:
    """{"tier", "reason", "probe_ms", "cache_backend", "session_engine",
    "ratelimit_backend", "redis": {"configured", "location", "state"}}.

    ``redis.state`` is this process's breaker: closed, open or half-open; or
    "not configured", or "not in use" when Redis is configured but the probe
    chose another tier (it did not answer at start-up, or CACHE_BACKEND says so).
    """
    backends = settings.BACKENDS
    choice = backends.choice
    if not backends.redis_configured:
        state = "not configured"
    elif choice.tier != "redis":
        state = "not in use"
    else:
        # A process that has not touched the cache yet has no breaker: closed.
        location = settings.CACHES["default"]["LOCATION"]
        state = circuit_breaker_state(breaker_name(location)) or "closed"
    return {
        "tier": choice.tier,
        "reason": choice.reason,
        "probe_ms": choice.probe_ms,
        "cache_backend": _describe(settings.CACHES["default"]),
        "session_engine": settings.SESSION_ENGINE,
        "ratelimit_backend": _describe(settings.CACHES[settings.RATELIMIT_USE_CACHE]),
        "redis": {
            "configured": backends.redis_configured,
            "location": choice.redis_location,
            "state": state,
        },
    }
