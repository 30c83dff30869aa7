"""GET /healthz: is this process able to serve, and on which backends.

200 with {"status": "ok", "database": "ok", "tier", "breaker", ...} when the
database answers and the tier's store is in use; 200 with "status":
"degraded" and "degraded": "<store>: open (<cause>)" when the store is down
and the fallbacks serve (a load balancer must not take the server out for
it: every server would be in the same state); 503 when the database does not
answer, since nothing but error pages can be served then. DB_CONNECT_TIMEOUT
bounds how long finding out takes, and Retry-After says when to ask again.

The status (and the status code) is public; the details, which name the
backends and the cause of a failure, are only for whoever runs the site: a
client on loopback (the Docker HEALTHCHECK, a rehearsal, an operator's curl
on the server) or a request with ``Authorization: Bearer <HEALTHZ_TOKEN>``
(a load balancer or a monitor elsewhere). Anyone else gets ``{"status": …}``.

Written here rather than with django-health-check: its database check writes
and deletes a row of its own model on every call (an extra migration and a
write per probe of the load balancer), its JSON has no place for the tier and
the breaker, and its cache check would only exercise the failover cache. One
``SELECT 1`` and backend_status() are the whole of what we need.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from filamenta.backends.breaker import CLOSED, circuit_breakers
from filamenta.backends.status import backend_status
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


def _degraded(store: str) -> str:
    """ "<store>: open (<cause>)" when this process's breaker for ``store`` is not closed."""
    for breaker in circuit_breakers():
        if breaker.name == store and breaker.state != CLOSED:
            return f"{store}: {breaker.state} ({breaker.last_error})"
    return ""


def _may_see_details(request: HttpRequest) -> bool:
    """Loopback (after django-xff has put the client's address there), or the token."""
    try:
        if ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback:
            return True
    except ValueError:
        pass
    token = settings.HEALTHZ_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and constant_time_compare(offered, token)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database_status()
    status = backend_status()
    degraded = _degraded(status["store"]) if status["store"] else ""
    body = {
        "status": "error" if database != "ok" else "degraded" if degraded else "ok",
        "database": database,
        "tier": status["tier"],
        "breaker": status["state"] if status["store"] else status["redis"]["state"],
        "cache_backend": status["cache_backend"],
        "session_engine": status["session_engine"],
        "ratelimit_backend": status["ratelimit_backend"],
    }
    if degraded:
        body["degraded"] = degraded
    if not _may_see_details(request):
        body = {"status": body["status"]}
    if database == "ok":
        return JsonResponse(body)
    response = JsonResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
