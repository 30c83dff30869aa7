"""WSGI entry point for gunicorn (VPS, Docker, production)."""

from django.core.wsgi import get_wsgi_application

from filamenta.environment import configure

configure()

from filamenta.mount_point import set_mount_point  # noqa: E402  (needs settings chosen)

set_mount_point()
application = get_wsgi_application()

# A store that is down as this process starts: serve from the fallbacks, never exit.
from filamenta.backends.probe import start_degraded_if_down  # noqa: E402

start_degraded_if_down()
