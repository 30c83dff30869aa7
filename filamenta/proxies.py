"""Who the client is when the site sits behind nginx or a load balancer.

Behind a proxy every request arrives from the proxy's address, so a rate
limit per IP would lock the whole world out at once. django-xff rewrites
REMOTE_ADDR from X-Forwarded-For, trusting exactly as many hops as there are
proxies we run: anything a client prepends to the header is ignored.

django-xff alone believes the header from whoever sends it ("does not check
the IP addresses of any proxies along the path", its README says) and copies
any text into REMOTE_ADDR, where django-ratelimit's ``ip`` key fails on it
with a 500. :class:`TrustedProxyMiddleware` adds the two missing checks in
front of it: the header is read only when the connection comes from
``TRUSTED_PROXIES``, and then the hops it trusts must be addresses (else 400).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from xff.middleware import XForwardedForMiddleware

from filamenta.environment import env, whole_number

XFF_MIDDLEWARE = "filamenta.proxies.TrustedProxyMiddleware"
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1")
# What a proxy in front sets about the client's connection. From anyone else
# each is a lie: X-Forwarded-Proto would pass SECURE_PROXY_SSL_HEADER too.
FORWARDED_META = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxy_depth(*, default: int = 1) -> int:
    """TRUSTED_PROXY_DEPTH: how many proxies in front append to X-Forwarded-For."""
    return whole_number(
        "TRUSTED_PROXY_DEPTH",
        default,
        minimum=1,
        maximum=5,
        hint="1: nginx on the same machine; 2: a load balancer in front of nginx.",
    )


def trusted_proxies() -> list[str]:
    """TRUSTED_PROXIES: the addresses whose X-Forwarded-For is believed (default: loopback).

    Read at start-up so that a typo stops the server, naming the variable,
    instead of silently trusting nobody (every client counted as the proxy) or
    everybody.
    """
    raw = env.str("TRUSTED_PROXIES", default=",".join(DEFAULT_TRUSTED_PROXIES))
    try:
        networks = [ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",")]
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES={raw!r} is not a list of addresses or networks; set it to the "
            "proxies in front of gunicorn, comma-separated, e.g. 127.0.0.0/8,::1 (nginx on "
            "this machine, the default) or 10.0.0.0/24 (a load balancer's subnet)."
        ) from None
    return [str(network) for network in networks]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class TrustedProxyMiddleware(XForwardedForMiddleware):
    """django-xff, for connections from TRUSTED_PROXIES only, and 400 for a header it cannot use.

    A connection from anywhere else (a client that reached gunicorn directly)
    is that client: the forwarded headers are removed so that nothing later
    (rate limits, the audit history, HTTPS detection) can read them. A unix
    socket peer (REMOTE_ADDR empty) is the proxy: only local processes allowed
    to open the socket file reach it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n) for n in getattr(settings, "TRUSTED_PROXIES", ())
        )

    def _trusted(self, peer: str) -> bool:
        if peer == "":
            return True
        address = _address(peer)
        return address is not None and any(address in network for network in self.networks)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        peer = request.META.get("REMOTE_ADDR", "")
        if not self._trusted(peer):
            _drop_forwarded(request, FORWARDED_META)
            return self.get_response(request)
        header = request.headers.get("X-Forwarded-For")
        if header is None:
            if peer == "":
                return _bad_request("X-Forwarded-For is missing on the proxy's socket")
            return self.get_response(request)
        # The hops our proxies appended; anything left of them is the client's
        # own text, which django-xff discards.
        used = [part.strip() for part in header.split(",")][-self.get_trusted_depth(request) :]
        if any(_address(part) is None for part in used):
            return _bad_request(f"X-Forwarded-For {header[:100]!r} is not a list of addresses")
        return super().__call__(request)


def _drop_forwarded(request: HttpRequest, keys: Iterable[str]) -> None:
    for key in keys:
        request.META.pop(key, None)
    request.__dict__.pop("headers", None)  # HttpRequest.headers is cached


def _bad_request(reason: str) -> HttpResponse:
    logger.warning("400 from the proxy check: %s", reason)
    return HttpResponseBadRequest(
        "Bad request: the proxy's X-Forwarded-For header is not usable.\n",
        content_type="text/plain; charset=utf-8",
    )
