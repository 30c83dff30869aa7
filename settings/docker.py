"""Docker Compose: gunicorn in a container, the database and Redis as compose services.

What this host has: the services named in deploy/docker/docker-compose.yml,
an nginx container in front forwarding X-Forwarded-Proto, stderr collected by
the engine. What it lacks: a writable image (instance/ is a volume).
"""

from filamenta.backends.settings import backend_settings
from filamenta.front_cache import front_cache_settings
from filamenta.media_storage import media_storage_from_env
from filamenta.proxies import XFF_MIDDLEWARE, trusted_proxies

from .hardened import *  # noqa: F403
from .hardened import INSTANCE_DIR, MIDDLEWARE, PUBLIC_STATIC_FILES, env

DEPLOYMENT_TARGET = "docker"

# PROXY
# ------------------------------------------------------------------------------
# The compose nginx service sets X-Forwarded-Proto; nothing else reaches gunicorn.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# django-xff: REMOTE_ADDR is the client, not the nginx container, so rate limits and the audit
# history count people; only the hop we run is trusted in X-Forwarded-For.
MIDDLEWARE = [XFF_MIDDLEWARE, *MIDDLEWARE]
XFF_TRUSTED_PROXY_DEPTH = 1
# ...and only from these addresses (default loopback); anyone else is the client.
TRUSTED_PROXIES = trusted_proxies()

# CACHES, SESSIONS AND RATE LIMITS (filamenta/backends/settings.py, README)
# ------------------------------------------------------------------------------
# The compose service `redis` by default (deploy/docker/docker-compose.yml);
# if it does not answer at start-up, the file store on the instance volume.
globals().update(
    backend_settings(
        env=env, instance_dir=INSTANCE_DIR, redis_default_host="redis"
    ).django_settings()
)

# MEDIA STORAGE (filamenta/media_storage.py, README "Media storage")
# ------------------------------------------------------------------------------
# nginx (uid/gid 101) reads the media volume through its group: the image makes
# /app/media set-group-ID 101 (deploy/docker/Dockerfile); files 0640, folders 0750.
globals().update(
    media_storage_from_env(env, modes="group").django_settings(staticfiles=PUBLIC_STATIC_FILES)
)

# FRONT CACHES (filamenta/front_cache.py, README "Caches in front of the site")
# ------------------------------------------------------------------------------
# The nginx service keeps the anonymous pages (deploy/docker/nginx.conf) and takes
# purges on 127.0.0.1:8089: it shares web's network namespace, and publishes nothing else.
globals().update(front_cache_settings(env, purge_default="http://127.0.0.1:8089/purge", front=True))
