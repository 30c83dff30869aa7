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

from filamenta.environment import configure, read_env_file  # noqa: E402

# .env first, so that a DEPLOYMENT_TARGET written there wins over our default.
read_env_file()
os.environ.setdefault("DEPLOYMENT_TARGET", "cpanel")
configure()

from django.core.wsgi import get_wsgi_application  # noqa: E402

from filamenta.mount_point import set_mount_point  # noqa: E402

# APPLICATION_ROOT wins; Passenger exports its own base URI (PASSENGER_BASE_URI)
# for a site mounted without it. Before the app is built: see mount_point.py.
set_mount_point()

application = get_wsgi_application()

# A store that is down as this process starts: serve from the fallbacks, never exit.
from filamenta.backends.probe import start_degraded_if_down  # noqa: E402

start_degraded_if_down()
