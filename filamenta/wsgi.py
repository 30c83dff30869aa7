"""WSGI entry point for gunicorn (VPS, Docker, production)."""

from django.core.wsgi import get_wsgi_application

from filamenta.environment import configure

configure()
application = get_wsgi_application()
