"""A VPS: gunicorn behind nginx, PostgreSQL or MariaDB, Redis on the same machine.

What this host has: root, a local Redis and database, nginx terminating TLS and
forwarding X-Forwarded-Proto. What it lacks: nothing the site needs.
"""

from .hardened import *  # noqa: F403

DEPLOYMENT_TARGET = "vps"

# PROXY
# https://docs.djangoproject.com/en/5.2/ref/settings/#secure-proxy-ssl-header
# ------------------------------------------------------------------------------
# nginx (deploy/vps/nginx.conf) sets X-Forwarded-Proto and strips any sent by clients.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
