"""Phusion Passenger's entry point: cPanel's "Setup Python App" loads this file.

Passenger imports it with the application's own Python (the virtualenv the
panel made), so no interpreter switching is needed here. It picks
``settings.cpanel`` unless the environment or ``.env`` names another target;
MySQL goes through PyMySQL when mysqlclient is missing (``filamenta.mysql_driver``,
called by the database settings).
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
# Passenger starts in the app root but does not promise it is on sys.path.
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from django.urls import set_script_prefix  # noqa: E402

from filamenta.environment import configure, read_env_file  # noqa: E402

# .env first, so that a DEPLOYMENT_TARGET written there wins over our default.
read_env_file()
os.environ.setdefault("DEPLOYMENT_TARGET", "cpanel")
configure()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

# Whitenoise reads STATIC_URL while the application is built, before any
# request has set the script prefix, and Django caches the value it gets: set
# the mount point now, or every asset URL loses it. APPLICATION_ROOT wins;
# Passenger exports its own base URI for a site mounted without it.
set_script_prefix(
    getattr(settings, "FORCE_SCRIPT_NAME", None) or os.environ.get("PASSENGER_BASE_URI") or "/"
)

application = get_wsgi_application()
