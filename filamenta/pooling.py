"""Pooled PostgreSQL connections for a fleet (Django 5.1+ with psycopg_pool).

Each app server keeps a few open connections instead of opening one per
request or holding one per worker forever, so that many servers stay within
PostgreSQL's max_connections and requests skip the connection handshake.

Two faults are bounded here or beside it:

- A request waits for a pooled connection at most ``timeout`` seconds, then
  gets psycopg_pool's PoolTimeout (an OperationalError: a 503, see
  filamenta/database_faults.py). It defaults to DB_CONNECT_TIMEOUT: with a
  silent server the pool's own attempts give up after that long, so waiting
  longer would only hold the worker. DB_POOL_TIMEOUT overrides it for a pool
  that is merely busy; it then also bounds the wait on a silent server.
- A connection the server ended while idle in the pool (a restart,
  ``pg_terminate_backend``) is never handed out: Django passes psycopg_pool
  ``check=ConnectionPool.check_connection`` because CONN_HEALTH_CHECKS is on
  (filamenta/database.py), so each connection is tested as it leaves the pool
  and a dead one is replaced. It cannot be set here as well: Django would pass
  ``check`` twice.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from filamenta.database import connect_timeout
from filamenta.environment import whole_number

POOL_SIZES = {"DB_POOL_MIN_SIZE": 1, "DB_POOL_MAX_SIZE": 4}


def database_pool() -> dict[str, Any]:
    """psycopg_pool options for ``DATABASES[...]["OPTIONS"]["pool"]``, from DB_POOL_*."""
    values = {name: whole_number(name, default, minimum=1) for name, default in POOL_SIZES.items()}
    if values["DB_POOL_MIN_SIZE"] > values["DB_POOL_MAX_SIZE"]:
        raise ImproperlyConfigured(
            f"DB_POOL_MIN_SIZE={values['DB_POOL_MIN_SIZE']} is larger than "
            f"DB_POOL_MAX_SIZE={values['DB_POOL_MAX_SIZE']}; the minimum cannot exceed the maximum."
        )
    return {
        "min_size": values["DB_POOL_MIN_SIZE"],
        "max_size": values["DB_POOL_MAX_SIZE"],
        "timeout": whole_number("DB_POOL_TIMEOUT", connect_timeout(), minimum=1),
    }
