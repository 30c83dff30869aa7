"""Pooled PostgreSQL connections for a fleet (Django 5.1+ with psycopg_pool).

Each app server keeps a few open connections instead of opening one per
request or holding one per worker forever, so that many servers stay within
PostgreSQL's max_connections and requests skip the connection handshake.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from filamenta.environment import whole_number

POOL_LIMITS = {"DB_POOL_MIN_SIZE": 1, "DB_POOL_MAX_SIZE": 4, "DB_POOL_TIMEOUT": 10}


def database_pool() -> dict[str, Any]:
    """psycopg_pool options for ``DATABASES[...]["OPTIONS"]["pool"]``, from DB_POOL_*."""
    values = {name: whole_number(name, default, minimum=1) for name, default in POOL_LIMITS.items()}
    if values["DB_POOL_MIN_SIZE"] > values["DB_POOL_MAX_SIZE"]:
        raise ImproperlyConfigured(
            f"DB_POOL_MIN_SIZE={values['DB_POOL_MIN_SIZE']} is larger than "
            f"DB_POOL_MAX_SIZE={values['DB_POOL_MAX_SIZE']}; the minimum cannot exceed the maximum."
        )
    return {
        "min_size": values["DB_POOL_MIN_SIZE"],
        "max_size": values["DB_POOL_MAX_SIZE"],
        "timeout": values["DB_POOL_TIMEOUT"],
    }
