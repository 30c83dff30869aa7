"""WSGI entry point for gunicorn (VPS, Docker, production)."""

from django.core.wsgi import get_wsgi_application

from filamenta.environment import configure

configure()

from filamenta.mount_point import set_mount_point  # noqa: E402  (needs settings chosen)

set_mount_point()
application = get_wsgi_application()
