"""Where a change came from, available to code that is not handed the request.

Services such as ``article_publish`` run from admin actions, views and
management commands alike; the middleware below puts the current request's
IP address and user agent in a context variable so that the audit history
can record them wherever the change is made (and record nothing from a
command line).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Origin:
    ip: str | None
    user_agent: str


NO_ORIGIN = Origin(ip=None, user_agent="")
_current: ContextVar[Origin] = ContextVar("audit_origin", default=NO_ORIGIN)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, from the same META key django-ratelimit counts by.

    Behind a proxy, RATELIMIT_IP_META_KEY names the header the proxy sets, so
    the audit history and the rate limits agree on who the client is.
    """
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    if not isinstance(key, str) or not key:
        key = "REMOTE_ADDR"
    raw = request.META.get(key, "") or ""
    # X-Forwarded-For style lists: the first entry is the client.
    candidate = raw.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def origin_of(request: HttpRequest) -> Origin:
    return Origin(
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


def current_origin() -> Origin:
    return _current.get()


class AuditOriginMiddleware:
    """Expose the request's origin to the audit history for its whole duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(origin_of(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
