"""A VPS: gunicorn behind nginx, PostgreSQL or MariaDB, Redis on the same machine.

What this host has: root, a local Redis and database, nginx terminating TLS and
forwarding X-Forwarded-Proto. What it lacks: nothing the site needs.
"""

from filamenta.backends.settings import backend_settings
from filamenta.front_cache import front_cache_settings
from filamenta.media_storage import media_storage_from_env
from filamenta.proxies import XFF_MIDDLEWARE, trusted_proxies

from .hardened import *  # noqa: F403
from .hardened import INSTANCE_DIR, MIDDLEWARE, PUBLIC_STATIC_FILES, env

DEPLOYMENT_TARGET = "vps"

# PROXY
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
# ------------------------------------------------------------------------------
# nginx (deploy/vps/nginx.conf) sets X-Forwarded-Proto and strips any sent by clients.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-xff: REMOTE_ADDR is the client, not nginx, so rate limits and the audit
# history count people; only the hop we run is trusted in X-Forwarded-For.
MIDDLEWARE = [XFF_MIDDLEWARE, *MIDDLEWARE]
XFF_TRUSTED_PROXY_DEPTH = 1
# ...and only from these addresses (default loopback); anyone else is the client.
TRUSTED_PROXIES = trusted_proxies()

# CACHES, SESSIONS AND RATE LIMITS (filamenta/backends/settings.py, README)
# ------------------------------------------------------------------------------
# Redis on this machine by default (REDIS_URL or REDIS_HOST to change it);
# if it does not answer at start-up, the file store in CACHE_DIR.
globals().update(
    backend_settings(
        env=env, instance_dir=INSTANCE_DIR, redis_default_host="127.0.0.1"
    ).django_settings()
)

# MEDIA STORAGE (filamenta/media_storage.py, README "Media storage")
# ------------------------------------------------------------------------------
# nginx reads MEDIA_ROOT through its group: files 0640 and folders 0750 under a
# set-group-ID MEDIA_ROOT of the site's user and www-data's group (deploy/vps/README.md).
globals().update(
    media_storage_from_env(env, modes="group").django_settings(staticfiles=PUBLIC_STATIC_FILES)
)

# FRONT CACHES (filamenta/front_cache.py, README "Caches in front of the site")
# ------------------------------------------------------------------------------
# nginx keeps the anonymous pages (deploy/vps/nginx.conf) and takes purges on
# its loopback-only listener.
globals().update(front_cache_settings(env, purge_default="http://127.0.0.1:8089/purge", front=True))
