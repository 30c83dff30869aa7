"""Who the client is when the site sits behind nginx or a load balancer.

Behind a proxy every request arrives from the proxy's address, so a rate
limit per IP would lock the whole world out at once. django-xff rewrites
REMOTE_ADDR from X-Forwarded-For, trusting exactly as many hops as there are
proxies we run: anything a client prepends to the header is ignored.
"""

from __future__ import annotations

from filamenta.environment import whole_number

XFF_MIDDLEWARE = "xff.middleware.XForwardedForMiddleware"


def trusted_proxy_depth(*, default: int = 1) -> int:
    """TRUSTED_PROXY_DEPTH: how many proxies in front append to X-Forwarded-For."""
    return whole_number(
        "TRUSTED_PROXY_DEPTH",
        default,
        minimum=1,
        maximum=5,
        hint="1: nginx on the same machine; 2: a load balancer in front of nginx.",
    )
