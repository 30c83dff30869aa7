"""A fleet: several app servers behind a load balancer, sharing PostgreSQL and Redis.

What this host has: a load balancer terminating TLS and forwarding
X-Forwarded-Proto, a shared database and Redis. What it lacks: any state
local to one server that the others could see, so Redis is required.
"""

from filamenta.backends.settings import backend_settings
from filamenta.front_cache import front_cache_settings
from filamenta.media_storage import media_storage_from_env
from filamenta.pooling import database_pool
from filamenta.proxies import XFF_MIDDLEWARE, trusted_proxies, trusted_proxy_depth

from .hardened import *  # noqa: F403
from .hardened import DATABASES, INSTANCE_DIR, MIDDLEWARE, PUBLIC_STATIC_FILES, env

DEPLOYMENT_TARGET = "production"

# PROXY
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-xff: REMOTE_ADDR is the client, not the load balancer, so rate limits
# and the audit history count people; only the TRUSTED_PROXY_DEPTH hops we run
# are trusted in X-Forwarded-For.
MIDDLEWARE = [XFF_MIDDLEWARE, *MIDDLEWARE]
XFF_TRUSTED_PROXY_DEPTH = trusted_proxy_depth()
# ...and only from these addresses (default loopback); anyone else is the client.
TRUSTED_PROXIES = trusted_proxies()

# DATABASE POOL
# https://docs.djangoproject.com/en/5.2/ref/databases/#postgresql-connection-pool
# ------------------------------------------------------------------------------
# Many servers times many workers would exhaust PostgreSQL's max_connections
# with persistent connections; a small pool per process bounds the total.
# Django refuses a pool beside CONN_MAX_AGE: the pool keeps connections itself.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = database_pool()

# CACHES, SESSIONS AND RATE LIMITS (filamenta/backends/settings.py, README)
# ------------------------------------------------------------------------------
# Required: servers share nothing else, so a per-server store would split
# caches and multiply rate limits. One server (REDIS_URL or REDIS_HOST) or
# Sentinel (REDIS_SENTINELS and REDIS_SENTINEL_MASTER) satisfies it.
# CACHE_BACKEND defaults to redis here: a Redis that does not answer at
# start-up stops the server (CACHE_BACKEND=auto lets it start on a local tier instead).
globals().update(
    backend_settings(
        env=env, instance_dir=INSTANCE_DIR, redis_required=True, default_backend="redis"
    ).django_settings()
)

# MEDIA STORAGE (filamenta/media_storage.py, README "Media storage")
# ------------------------------------------------------------------------------
# Every server must see every upload: an S3-compatible bucket (MEDIA_STORAGE_URL
# or AWS_*) unless MEDIA_STORAGE=filesystem names a disk they all share.
globals().update(
    media_storage_from_env(env, modes="group", shared_required=True).django_settings(
        staticfiles=PUBLIC_STATIC_FILES
    )
)

# FRONT CACHES (filamenta/front_cache.py, README "Caches in front of the site")
# ------------------------------------------------------------------------------
# Each server's nginx keeps the anonymous pages: list every server's purge URL
# (and a Varnish's or CDN's) in EDGE_PURGE_URLS; without one they keep a page 10 s.
globals().update(front_cache_settings(env, front=True))
