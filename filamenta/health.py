"""GET /healthz: is this process able to serve, and on which backends.

200 with {"status": "ok", "database": "ok", "tier", "breaker", ...} when the
database answers; 503 when it does not, since nothing but error pages can be
served then. DB_CONNECT_TIMEOUT bounds how long finding out takes, and
Retry-After says when to ask again. A Redis outage is not a 503: the circuit
breaker serves from the fallback and the page shows "breaker": "open".

Written here rather than with django-health-check: its database check writes
and deletes a row of its own model on every call (an extra migration and a
write per probe of the load balancer), its JSON has no place for the tier and
the breaker, and its cache check would only exercise the failover cache. One
``SELECT 1`` and backend_status() are the whole of what we need.
"""

from __future__ import annotations

from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from filamenta.backend_status import backend_status
from filamenta.database_faults import RETRY_AFTER_SECONDS, drop_broken_connections


def _database_status() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        # The next probe must not find the same dead connection.
        drop_broken_connections()
        return f"down ({type(exc).__name__})"
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database_status()
    status = backend_status()
    body = {
        "status": "ok" if database == "ok" else "error",
        "database": database,
        "tier": status["tier"],
        "breaker": status["redis"]["state"],
        "cache_backend": status["cache_backend"],
        "session_engine": status["session_engine"],
        "ratelimit_backend": status["ratelimit_backend"],
    }
    if database == "ok":
        return JsonResponse(body)
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
