"""ASGI entry point, for servers such as uvicorn or daphne."""

from django.core.asgi import get_asgi_application

from filamenta.environment import configure

configure()

from filamenta.mount_point import set_mount_point  # noqa: E402  (needs settings chosen)

set_mount_point()
application = get_asgi_application()

# A store that is down as this process starts: serve from the fallbacks, never exit.
from filamenta.backends.probe import start_degraded_if_down  # noqa: E402

start_degraded_if_down()
