"""Shared cPanel hosting: Phusion Passenger, MySQL from the panel, no Redis, stderr often lost.

What this host has: a MySQL/MariaDB database created in the panel (DB_TYPE=mysql
and DB_* fields, or DATABASE_URL), a writable home directory, TLS handled by
the panel. What it lacks: Redis of our own, a reliable stderr, a compiler for
mysqlclient (PyMySQL stands in, see requirements/cpanel.txt).
"""

from filamenta.backends.settings import backend_settings
from filamenta.environment import BASE_DIR
from filamenta.logging_config import logging_config
from filamenta.media_storage import media_storage_from_env
from filamenta.static_pages import public_dir, static_pages_settings

from .hardened import *  # noqa: F403
from .hardened import INSTANCE_DIR, LOG_LEVEL, PUBLIC_STATIC_FILES, env

DEPLOYMENT_TARGET = "cpanel"

# LOGGING
# ------------------------------------------------------------------------------
# Passenger's stderr.log is not always kept or readable from the panel, so log
# to a file under instance/ as well unless LOG_FILE says otherwise.
LOG_FILE = env.str("LOG_FILE", default=str(INSTANCE_DIR / "logs" / "filamenta.log"))
LOGGING = logging_config(level=LOG_LEVEL, file=LOG_FILE)

# CACHES, SESSIONS AND RATE LIMITS (filamenta/backends/settings.py, README)
# ------------------------------------------------------------------------------
# No Redis of our own: a localhost Redis on a shared host may be another
# customer's, so none is probed unless REDIS_URL or REDIS_HOST says so. The
# file store in CACHE_DIR, else memory with sessions and counters in MySQL.
globals().update(backend_settings(env=env, instance_dir=INSTANCE_DIR).django_settings())

# MEDIA STORAGE (filamenta/media_storage.py, README "Media storage")
# ------------------------------------------------------------------------------
# Apache serves MEDIA_ROOT as "nobody", which cannot join the account's group:
# files 0644 and folders 0711 (readable by name, listable by none; names hold a
# random key). deploy/cpanel/setup_site.py links public/media to MEDIA_ROOT.
globals().update(
    media_storage_from_env(env, modes="public").django_settings(staticfiles=PUBLIC_STATIC_FILES)
)

# STATIC PAGES FOR APACHE (filamenta/static_pages.py, README "Static pages on cPanel")
# ------------------------------------------------------------------------------
# Anonymous readers get the public pages from Apache itself: each page
# @cached_page stores is copied under public/_pages, which the .htaccess that
# setup_site.py writes serves without waking Passenger. STATIC_PAGES_DIR= (empty) turns it off.
globals().update(static_pages_settings(env, default_dir=str(public_dir(env, BASE_DIR) / "_pages")))
