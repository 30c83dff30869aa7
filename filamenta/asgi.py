"""ASGI entry point, for servers such as uvicorn or daphne."""

from django.core.asgi import get_asgi_application

from filamenta.environment import configure

configure()
application = get_asgi_application()
