"""A laptop: DEBUG on, SQLite in instance/, no services needed (DEPLOYMENT_TARGET=development).

What this host has: a writable checkout. What it lacks: Redis, unless one is
configured (REDIS_URL or REDIS_HOST), so the cache tier is the file store in
CACHE_DIR by default.
"""

from filamenta.backends.settings import backend_settings

from .base import *  # noqa: F403
from .base import INSTANCE_DIR, env

# CACHES, SESSIONS AND RATE LIMITS (filamenta/backends/settings.py, README)
# ------------------------------------------------------------------------------
globals().update(backend_settings(env=env, instance_dir=INSTANCE_DIR).django_settings())
