"""The test suite's settings: development settings made fast and hermetic.

The database still comes from DATABASE_URL, so the same suite runs on SQLite,
PostgreSQL and MariaDB (see the Makefile's test targets).
"""

import os

from filamenta.backends.settings import backend_settings

from .base import *  # noqa: F403
from .base import DATABASES, INSTANCE_DIR, env, upload_temp_dir

DEPLOYMENT_TARGET = "test"
DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-any-deployment"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# Hashing with the default PBKDF2 dominates the run time of auth tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Whatever the environment says: tests that need it turn it on (tests/users/test_two_factor.py),
# and the rest sign staff in with client.force_login, which has no second factor.
STAFF_REQUIRE_2FA = False

# Parallel runs against one shared server (several checkouts, CI beside a
# developer) each need their own test database.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" and (
    suffix := env.str("TEST_DB_SUFFIX", default="")
):
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{suffix}"}

# pytest-xdist's workers (the Makefile runs two) each get a folder of their own: one
# worker's uploads, state files and upload temporaries never meet another's. Read from
# os.environ, not env: pytest-xdist sets it (gw0, gw1), nobody configuring the site does.
INSTANCE_DIR = INSTANCE_DIR / "test" / os.environ.get("PYTEST_XDIST_WORKER", "main")
BACKEND_STATE_DIR = INSTANCE_DIR / "state"
FILE_UPLOAD_TEMP_DIR = upload_temp_dir(INSTANCE_DIR)

# CACHES, SESSIONS AND RATE LIMITS
# ------------------------------------------------------------------------------
# The memory tier whatever the environment says: a file or Redis store would
# outlive the run and serve one run's cached rows to the next run's fresh
# database. Counters and sessions are in the test database, rolled back per test.
# Tests of the other tiers start processes with their own settings (tests/filamenta/backends).
globals().update(
    backend_settings(env=env, instance_dir=INSTANCE_DIR, requested="memory").django_settings()
)

# The suite writes its uploads beside its own instance folder, never the site's.
MEDIA_ROOT = INSTANCE_DIR / "media"
