"""The URL prefix a site mounted under a sub-path must carry from the first line of code.

Whitenoise reads STATIC_URL while the application is built, before any request
has set the script prefix, and Django caches the value it gets: unless the mount
point is set first, every asset URL loses it. Every entry point (gunicorn's
WSGI, ASGI, Passenger) calls :func:`set_mount_point` before building the app.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.urls import set_script_prefix


def set_mount_point() -> str:
    """Set and return the prefix: APPLICATION_ROOT, else Passenger's base URI, else "/"."""
    prefix = (
        getattr(settings, "FORCE_SCRIPT_NAME", None) or os.environ.get("PASSENGER_BASE_URI") or "/"
    )
    set_script_prefix(prefix)
    return prefix
