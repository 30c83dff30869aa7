"""A fleet: several app servers behind a load balancer, sharing PostgreSQL and Redis.

What this host has: a load balancer terminating TLS and forwarding
X-Forwarded-Proto, a shared database and Redis. What it lacks: any state
local to one server that the others could see, so Redis is required.
"""

from .hardened import *  # noqa: F403

DEPLOYMENT_TARGET = "production"

# PROXY
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
