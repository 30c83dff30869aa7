"""Settings for benchmark runs: the VPS settings, served over plain HTTP on loopback.

The benchmark measures what a VPS runs (DEBUG off, hashed static files, the
same middleware), so it starts from ``settings.vps``. The runner passes
DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and SECURE_SSL_REDIRECT=false through the
environment, as a host would. Only what plain-HTTP load generators need differs.
"""

from settings.vps import *  # noqa: F403

DEPLOYMENT_TARGET = "bench"

# The ceiling view lives here, never in the product's URLconf.
ROOT_URLCONF = "bench.urls"

# Locust's HTTP client honours the Secure flag: over plain HTTP it would drop
# the session and CSRF cookies, and every editor or login request would fail.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
