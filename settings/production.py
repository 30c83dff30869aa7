"""A fleet: several app servers behind a load balancer, sharing PostgreSQL and Redis.

What this host has: a load balancer terminating TLS and forwarding
X-Forwarded-Proto, a shared database and Redis. What it lacks: any state
local to one server that the others could see, so Redis is required.
"""

from filamenta.backend_settings import backend_settings

from .hardened import *  # noqa: F403
from .hardened import INSTANCE_DIR, env

DEPLOYMENT_TARGET = "production"

# PROXY
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# CACHES, SESSIONS AND RATE LIMITS (filamenta/backend_settings.py, README)
# ------------------------------------------------------------------------------
# Required: servers share nothing else, so a per-server store would split
# caches and multiply rate limits. CACHE_BACKEND defaults to redis here: a
# Redis that does not answer at start-up stops the server (CACHE_BACKEND=auto
# lets it start on a local tier instead).
BACKENDS = backend_settings(
    env=env, instance_dir=INSTANCE_DIR, redis_required=True, default_backend="redis"
)
CACHES = BACKENDS.caches
SESSION_ENGINE = BACKENDS.session_engine
SESSION_CACHE_ALIAS = BACKENDS.session_cache_alias
