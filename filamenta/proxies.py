"""Who the client is when the site sits behind nginx or a load balancer.

Behind a proxy every request arrives from the proxy's address, so a rate
limit per IP would lock the whole world out at once. django-xff rewrites
REMOTE_ADDR from X-Forwarded-For, trusting exactly as many hops as there are
proxies we run: anything a client prepends to the header is ignored.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

XFF_MIDDLEWARE = "xff.middleware.XForwardedForMiddleware"


def trusted_proxy_depth(env: environ.Env, *, default: int = 1) -> int:
    """TRUSTED_PROXY_DEPTH: how many proxies in front append to X-Forwarded-For."""
    raw = env.str("TRUSTED_PROXY_DEPTH", default=str(default)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_DEPTH={raw!r} is not a proxy count; use a whole number from 1 "
            "to 5 (1: nginx on the same machine; 2: a load balancer in front of nginx)."
        )
    return int(raw)
