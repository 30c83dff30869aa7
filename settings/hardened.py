"""Production-grade defaults shared by every public deployment.

cpanel, vps, docker and production inherit this module, so none of them can
start with a development secret, an open ALLOWED_HOSTS or cookies sent over
plain HTTP. It is not a target of its own: each host adds what it has.
"""

from apps.users.settings_from_env import switch_from_env

from .base import *  # noqa: F403
from .base import APPLICATION_ROOT, SILENCED_SYSTEM_CHECKS, STORAGES, env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# No default: a deployment must never share the development key.
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# SECURITY
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
# ------------------------------------------------------------------------------
# Staff need a second factor (an authenticator app) before the admin opens.
STAFF_REQUIRE_2FA = switch_from_env(env, "STAFF_REQUIRE_2FA", default=True)
# Hosts that terminate TLS in front and redirect there already set this to false.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# No script of ours reads the CSRF cookie: forms carry the token (the admin's too).
CSRF_COOKIE_HTTPONLY = True
# At the domain root the __Host- prefix makes browsers refuse these cookies
# unless Secure, Path=/ and without Domain, so neither a sibling subdomain nor
# a plain-HTTP answer can plant or overwrite them. Under a sub-path (base.py
# scopes the cookies to APPLICATION_ROOT) the prefix cannot apply.
if APPLICATION_ROOT == "/":
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Health checks come from inside (Docker, a load balancer) over plain HTTP: a
# redirect to HTTPS would read as "down". Matches with or without APPLICATION_ROOT.
SECURE_REDIRECT_EXEMPT = [r"(^|/)healthz$"]

SILENCED_SYSTEM_CHECKS = [
    *SILENCED_SYSTEM_CHECKS,
    "security.W021",  # HSTS preload is an irreversible opt-in for the owner: SECURE_HSTS_PRELOAD
]
if not SECURE_SSL_REDIRECT:
    SILENCED_SYSTEM_CHECKS.append(
        "security.W008"  # SECURE_SSL_REDIRECT=false: the host in front redirects to HTTPS
    )

# STATIC FILES
# https://whitenoise.readthedocs.io/en/stable/django.html
# ------------------------------------------------------------------------------
# Hashed names let browsers cache assets for a year; collectstatic builds them,
# world-readable for nginx despite the private umask (filamenta/file_modes.py).
# STORAGES["default"] (media) is each host module's: filamenta/media_storage.py.
PUBLIC_STATIC_FILES = {"BACKEND": "filamenta.static_storage.PublicStaticFilesStorage"}
STORAGES = {**STORAGES, "staticfiles": PUBLIC_STATIC_FILES}
