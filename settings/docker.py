"""Docker Compose: gunicorn in a container, the database and Redis as compose services.

What this host has: the services named in deploy/docker/docker-compose.yml,
an nginx container in front forwarding X-Forwarded-Proto, stderr collected by
the engine. What it lacks: a writable image (instance/ is a volume).
"""

from .hardened import *  # noqa: F403

DEPLOYMENT_TARGET = "docker"

# PROXY
# ------------------------------------------------------------------------------
# The compose nginx service sets X-Forwarded-Proto; nothing else reaches gunicorn.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
