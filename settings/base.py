"""Everything Filamenta needs, with defaults that run on a laptop with nothing installed.

Not a settings module on its own: each environment (development, cpanel, vps,
docker, production, test) imports it and overrides only what differs, and
chooses its cache backends in one call. Every value comes
through the one ``env`` object, so a ``.env`` file and the real environment
are read the same way everywhere.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from apps.users.settings_from_env import (
    email_settings_from_env,
    rate_from_env,
    switch_from_env,
    totp_issuer,
)
from filamenta import security_headers
from filamenta.database import database_from_env
from filamenta.environment import BASE_DIR, env, whole_number
from filamenta.front_cache import front_cache_settings
from filamenta.logging_config import logging_config
from filamenta.media_storage import media_storage_from_env
from filamenta.site_url import canonical_origin_from_env
from filamenta.static_pages import static_pages_settings

# PATHS
# ------------------------------------------------------------------------------
# instance/ holds what the site writes at run time (SQLite, file cache, logs):
# it lives outside any web root, and hosts may move it with INSTANCE_DIR.
INSTANCE_DIR = Path(env.str("INSTANCE_DIR", default=str(BASE_DIR / "instance")))

# GENERAL
# https://docs.djangoproject.com/en/5.2/ref/settings/#core-settings
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Development only: hardened.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default="django-insecure-development-key-never-used-in-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DEPLOYMENT_TARGET = "development"

# APPS
# https://docs.djangoproject.com/en/5.2/ref/settings/#installed-apps
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    # Before apps.users, whose admin takes their device pages out of the admin
    # (admin modules are imported in this order).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Before django.contrib.auth, so that its createsuperuser (which validates
    # a password given without input) wins over Django's.
    "apps.users",
    # Django's admin with the two-factor rule in its permission check (apps/users/admin_site.py).
    "apps.users.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_ratelimit",
    "taggit",
    "filamenta.backends.counters",
    "apps.content",
    "apps.siteadmin",
    "apps.media",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Anonymous hits on @cached_page views are answered here, before the
    # middleware below, which a page every reader shares has no use for
    # (filamenta/page_cache.py).
    "filamenta.page_cache.PageCacheMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response
    # (filamenta/security_headers.py).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The reader's language: the django_language cookie, else Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with the second factor in this session.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: the audit history records each change's IP and browser.
    "apps.siteadmin.request_context.AuditOriginMiddleware",
    # Last, nearest the view: it is the first to see the view's database error,
    # and its one retry re-runs only the view, with the session, the user and
    # the messages above already in place (filamenta/database_faults.py).
    "filamenta.database_faults.DatabaseFaultMiddleware",
]

ROOT_URLCONF = "filamenta.urls"
WSGI_APPLICATION = "filamenta.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# TEMPLATES
# https://docs.djangoproject.com/en/5.2/ref/settings/#templates
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.siteadmin.context_processors.site",
            ],
        },
    },
]

# DATABASES
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases
# ------------------------------------------------------------------------------
# DATABASE_URL, else DB_TYPE and DB_*, else instance/db.sqlite3.
DATABASES = {"default": database_from_env(env, instance_dir=INSTANCE_DIR)}

# Tags (django-taggit): "Django" and "django" are one tag, whatever the editor typed first.
TAGGIT_CASE_INSENSITIVE = True

# CACHES, SESSIONS AND RATE LIMITS
# https://docs.djangoproject.com/en/5.2/topics/cache/
# ------------------------------------------------------------------------------
# CACHES, SESSION_ENGINE and SESSION_CACHE_ALIAS come from each environment
# module's one call to filamenta.backends.settings.backend_settings, with that
# host's Redis default; the tier matrix is in the README ("Cache, sessions and
# rate limits").
RATELIMIT_USE_CACHE = "ratelimit"
# Each process writes its circuit breakers here for `manage.py backends`.
BACKEND_STATE_DIR = INSTANCE_DIR / "state"
SILENCED_SYSTEM_CHECKS = [
    "django_ratelimit.W001",  # knows only django-redis; ours are exact: tests/filamenta/backends
]

# AUTHENTICATION
# https://docs.djangoproject.com/en/5.2/ref/settings/#auth
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
# URL names, not paths, so that a sub-path mount (APPLICATION_ROOT) is honoured.
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "users:profile"
LOGOUT_REDIRECT_URL = "content:home"
# Sign-in and password-reset limits per IP and per account, as django-ratelimit
# rates ("10/15m": ten per fifteen minutes); see apps/users/throttle.py.
LOGIN_RATE_PER_IP = rate_from_env(env, "LOGIN_RATE_PER_IP", default="30/15m")
LOGIN_RATE_PER_ACCOUNT = rate_from_env(env, "LOGIN_RATE_PER_ACCOUNT", default="10/15m")
PASSWORD_RESET_RATE_PER_IP = rate_from_env(env, "PASSWORD_RESET_RATE_PER_IP", default="10/h")
PASSWORD_RESET_RATE_PER_ACCOUNT = rate_from_env(
    env, "PASSWORD_RESET_RATE_PER_ACCOUNT", default="3/h"
)
# Searches per IP (apps/content/views.py search): each runs a full-text query.
SEARCH_RATE_PER_IP = rate_from_env(env, "SEARCH_RATE_PER_IP", default="60/m")
# TWO-FACTOR SIGN-IN (apps/users/two_factor.py, README "Two-factor sign-in")
# Staff without an authenticator are sent to set one up before the admin opens.
# Off here (a laptop); settings/hardened.py turns it on for every deployment.
STAFF_REQUIRE_2FA = switch_from_env(env, "STAFF_REQUIRE_2FA", default=False)
# The authenticator app shows the account under the site's name.
OTP_TOTP_ISSUER = totp_issuer
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # 12, not Django's 8: ASVS 4 level 1 (2.1.1). Common passwords are refused
    # too: Django's list of 20,000 (ASVS 2.1.7).
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# INTERNATIONALISATION
# https://docs.djangoproject.com/en/5.2/topics/i18n/
# ------------------------------------------------------------------------------
# The site's own language (feeds, e-mails to no one in particular, readers whose
# browser asks for neither); each reader then chooses with the footer switcher
# (the django_language cookie) or their browser's Accept-Language (LocaleMiddleware).
LANGUAGES = [("en", "English"), ("fr", "Français")]
LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en").strip().lower()
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"DJANGO_LANGUAGE_CODE={LANGUAGE_CODE!r} is not a language of the site: "
        f"accepts {' or '.join(dict(LANGUAGES))}."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates day first, as the site always wrote them (filamenta/formats).
FORMAT_MODULE_PATH = ["filamenta.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# STATIC PAGES FOR APACHE (filamenta/static_pages.py): off unless a host has
# Apache serving a folder of ours (settings.cpanel turns it on).
# ------------------------------------------------------------------------------
globals().update(static_pages_settings(env))

# STATIC AND MEDIA FILES
# https://docs.djangoproject.com/en/5.2/howto/static-files/
# ------------------------------------------------------------------------------
# Relative URLs, so that a site mounted under a sub-path (APPLICATION_ROOT or
# the server's SCRIPT_NAME) gets the prefix on every asset.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(INSTANCE_DIR / "media")))
# The media library's upload limit (apps/media/services.py), in megabytes of 2**20 bytes.
MEDIA_MAX_UPLOAD_MB = whole_number("MEDIA_MAX_UPLOAD_MB", 10, minimum=1, maximum=1024)


# Uploads past 2.5 MB (FILE_UPLOAD_MAX_MEMORY_SIZE) go to a private temporary file
# in instance/, not the host's shared /tmp; a file past MEDIA_MAX_UPLOAD_MB is
# dropped as it arrives (apps/media/uploads.py), so neither memory nor disk holds it.
def upload_temp_dir(instance_dir: Path) -> str | None:
    """instance/uploads, made now (Django's checks want it to exist); None if it cannot be."""
    folder = instance_dir / "uploads"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # a read-only instance folder: the system's temporary folder, then
        return None
    return str(folder)


FILE_UPLOAD_TEMP_DIR = upload_temp_dir(INSTANCE_DIR)
FILE_UPLOAD_HANDLERS = [
    "apps.media.uploads.MediaUploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Whitenoise matches request paths after the server strips the mount point.
WHITENOISE_STATIC_PREFIX = "/static/"

# MEDIA STORAGE (filamenta/media_storage.py, README "Media storage")
# https://docs.djangoproject.com/en/5.2/ref/settings/#storages
# ------------------------------------------------------------------------------
# STORAGES["default"], MEDIA_URL ("media/", or a bucket's absolute URL), the
# upload modes and the Content-Security-Policy (img-src follows MEDIA_URL):
# MEDIA_ROOT on this disk unless MEDIA_STORAGE_URL / AWS_STORAGE_BUCKET_NAME
# (or MEDIA_STORAGE=s3) name a bucket. Each host module calls it again with its modes.
globals().update(
    media_storage_from_env(env).django_settings(
        staticfiles={"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    )
)

# CONTENT SECURITY POLICY AND PERMISSIONS POLICY
# https://django-csp.readthedocs.io/en/latest/configuration.html
# ------------------------------------------------------------------------------
# Nothing inline, nothing from elsewhere but an absolute MEDIA_URL's origin
# (CONTENT_SECURITY_POLICY comes with the media storage, above).
PERMISSIONS_POLICY = security_headers.PERMISSIONS_POLICY

# HEALTH CHECK
# ------------------------------------------------------------------------------
# /healthz names its backends only to loopback clients or to this bearer token
# (filamenta/health.py); empty: loopback only.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
if HEALTHZ_TOKEN and (len(HEALTHZ_TOKEN) < 32 or not HEALTHZ_TOKEN.isprintable()):
    raise ImproperlyConfigured(
        "HEALTHZ_TOKEN must be empty or at least 32 printable characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )

# SUB-PATH MOUNTING
# https://docs.djangoproject.com/en/5.2/ref/settings/#force-script-name
# ------------------------------------------------------------------------------
# Set APPLICATION_ROOT (e.g. /filamenta) when the site is not at the domain root.
APPLICATION_ROOT = "/" + env.str("APPLICATION_ROOT", default="").strip("/")
if APPLICATION_ROOT != "/":
    FORCE_SCRIPT_NAME = APPLICATION_ROOT
    SESSION_COOKIE_PATH = APPLICATION_ROOT + "/"
    CSRF_COOKIE_PATH = APPLICATION_ROOT + "/"

# CANONICAL ADDRESS (filamenta/site_url.py, README "Search engines and sharing")
# ------------------------------------------------------------------------------
# scheme://host[:port] that canonical URLs, Open Graph, JSON-LD and robots.txt's
# Sitemap line start with. Unset: the scheme and the ALLOWED_HOSTS entry the
# request matched (never the client's Host header), or none for a pattern entry.
CANONICAL_ORIGIN = canonical_origin_from_env(env)

# FRONT CACHES (filamenta/front_cache.py, README "Caches in front of the site")
# ------------------------------------------------------------------------------
# What a web server, proxy or CDN in front may keep of the anonymous pages, and
# where their purges go after each change. No web-server cache here by default:
# the hosts with nginx in front (vps, docker, production) turn it on.
globals().update(front_cache_settings(env, front=False))

# EMAIL
# https://docs.djangoproject.com/en/5.2/topics/email/
# ------------------------------------------------------------------------------
# EMAIL_URL (smtp+tls://user:pass@host:587, filemail:///folder, consolemail://);
# unset prints mail to the console. See apps/users/settings_from_env.py.
# Account mail leaves from one background thread per process (apps/users/outbox.py):
# a mail server that never answers must not hold it, or a process's exit, for ever.
EMAIL_TIMEOUT = 20
globals().update(email_settings_from_env(env))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")

# LOGGING
# https://docs.djangoproject.com/en/5.2/topics/logging/
# ------------------------------------------------------------------------------
# stderr by default; LOG_FILE for hosts that lose stderr (see settings.cpanel).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FILE = env.str("LOG_FILE", default="")
LOGGING = logging_config(level=LOG_LEVEL, file=LOG_FILE)
