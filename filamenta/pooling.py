"""Pooled PostgreSQL connections for a fleet (Django 5.1+ with psycopg_pool).

Each app server keeps a few open connections instead of opening one per
request or holding one per worker forever, so that many servers stay within
PostgreSQL's max_connections and requests skip the connection handshake.
"""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

POOL_LIMITS = {"DB_POOL_MIN_SIZE": 1, "DB_POOL_MAX_SIZE": 4, "DB_POOL_TIMEOUT": 10}


def database_pool(env: environ.Env) -> dict[str, Any]:
    """psycopg_pool options for ``DATABASES[...]["OPTIONS"]["pool"]``, from DB_POOL_*."""
    values = {}
    for name, default in POOL_LIMITS.items():
        raw = env.str(name, default=str(default)).strip()
        if not raw.isdigit() or int(raw) < 1:
            raise ImproperlyConfigured(
                f"{name}={raw!r} is not a positive whole number; set it to an integer such "
                f"as {default}."
            )
        values[name] = int(raw)
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
