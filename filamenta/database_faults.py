"""A database outage answers 503 and "try again shortly", never a 500.

Two things go wrong with a server database, and neither is a bug in a view:
the server does not answer (down, restarting, a network cut: the driver gives
up after DB_CONNECT_TIMEOUT), or it ends a connection the process was holding
(a restart, a failover, ``pg_terminate_backend``, MariaDB's ``KILL``, an idle
timeout). CONN_HEALTH_CHECKS cannot catch the second one when it happens
between the check at the start of a request and the query that fails.

- :class:`DatabaseFaultMiddleware` drops the dead connection and runs a safe
  request (GET, HEAD) once more on a fresh one; anything else, or a second
  failure, answers 503.
- :func:`server_error` is ``handler500``: a database error raised outside a
  view (a middleware, a session saved on the way out) answers the same 503;
  every other exception keeps Django's own 500.

Django does not tell a dead connection from a deadlock or a statement
timeout: all are ``OperationalError``. All are worth one retry of a read and
a "try again shortly" otherwise, so they are treated alike.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_OUTAGES = (OperationalError, InterfaceError)
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Long enough for a restart or a failover, short enough that a visitor who
# obeys it is not kept away after the database is back.
RETRY_AFTER_SECONDS = 10


def database_unavailable() -> HttpResponse:
    """The 503 page, rendered without a request: no context processor may query a dead database."""
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Neither a browser, a proxy nor our page cache may keep an outage.
    add_never_cache_headers(response)
    return response


def drop_broken_connections() -> bool:
    """Close every open database connection; True if one was open.

    No ``is_usable()`` test first: after a connectivity error it would cost a
    round trip, or hang on a server that stopped answering. Reconnecting a
    healthy connection costs only a handshake. Inside a transaction Django
    defers the close to its end, which is also right.
    """
    was_open = False
    for connection in connections.all(initialized_only=True):
        was_open = was_open or connection.connection is not None
        connection.close()
    return was_open


class DatabaseFaultMiddleware:
    """One retry of a read on a fresh connection; otherwise a 503 for a database error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_OUTAGES):
            return None
        # Only a connection that was open can have died; when none could be
        # opened the server is silent and a retry would wait another timeout.
        # A POST might have been half done, so it is never repeated.
        if not drop_broken_connections() or request.method not in SAFE_METHODS:
            return _unavailable(request, exception)
        logger.info("Retrying %s on a fresh database connection: %s", request.path, exception)
        match = request.resolver_match
        try:
            response = match.func(request, *match.args, **match.kwargs)
            # A TemplateResponse renders after middleware: render it here, so
            # a failure while rendering is caught below too.
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        except DATABASE_OUTAGES as again:
            drop_broken_connections()
            return _unavailable(request, again)
        return response


def _unavailable(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    if settings.DEBUG:
        # SQLite's "no such table" and MySQL's "unknown column" are
        # OperationalErrors too: a developer needs the traceback page.
        return None
    # With the traceback: the same class also covers a few real bugs.
    logger.error("Database unavailable: %s %s", request.method, request.path, exc_info=exception)
    return database_unavailable()


def server_error(
    request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME
) -> HttpResponse:
    """handler500: a database error anywhere answers 503; anything else is Django's 500."""
    if isinstance(sys.exception(), DATABASE_OUTAGES):
        drop_broken_connections()
        return database_unavailable()
    return defaults.server_error(request, template_name)
