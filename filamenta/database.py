"""The ``default`` database, from DATABASE_URL, DB_* variables or a local SQLite file.

Shared hosts hand out MySQL credentials as separate fields, while containers
and PaaS hand out a URL; both forms are accepted so that moving host means
changing variables, never code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

from filamenta.environment import whole_number

SQLITE = "django.db.backends.sqlite3"
MYSQL = "django.db.backends.mysql"
POSTGRESQL = "django.db.backends.postgresql"

ENGINES_BY_DB_TYPE = {"sqlite": SQLITE, "mysql": MYSQL, "postgresql": POSTGRESQL}
URL_EXAMPLES = (
    "sqlite:////abs/path/db.sqlite3, mysql://user:password@host:3306/name, "
    "postgres://user:password@host:5432/name"
)


def redact_url(url: str) -> str:
    """Hide the password of a URL so it can appear in an error or a log line."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparseable URL>"


def database_from_env(env: environ.Env, *, instance_dir: Path) -> dict[str, Any]:
    """Build ``DATABASES["default"]`` from the environment, or stop with a clear error."""
    if env.str("DATABASE_URL", default=""):
        config = _from_url(env.str("DATABASE_URL"))
    elif env.str("DB_TYPE", default=""):
        config = _from_fields(env)
    else:
        instance_dir.mkdir(parents=True, exist_ok=True)
        config = {"ENGINE": SQLITE, "NAME": str(instance_dir / "db.sqlite3")}

    engine = config["ENGINE"]
    if engine != SQLITE and not config.get("NAME"):
        raise ImproperlyConfigured(
            "The database has no name: add it to DATABASE_URL (…/name) or set DB_NAME."
        )
    config["CONN_MAX_AGE"] = whole_number("DB_CONN_MAX_AGE", 0 if engine == SQLITE else 60)
    config["CONN_HEALTH_CHECKS"] = engine != SQLITE
    config["OPTIONS"] = {**_options_for(engine), **config.get("OPTIONS", {})}
    if engine != SQLITE:
        config["OPTIONS"]["connect_timeout"] = connect_timeout()
    if engine == MYSQL:
        from filamenta.mysql_driver import ensure_mysql_driver

        ensure_mysql_driver()
    return config


def connect_timeout() -> int:
    """Seconds a driver may spend opening a connection: DB_CONNECT_TIMEOUT, default 5.

    psycopg waits 130 s for a server that accepts TCP and never answers, longer
    than any worker timeout, so a silent database turned every request into a
    500 from the worker's death instead of a prompt 503. psycopg 3, mysqlclient
    and PyMySQL all take this same ``connect_timeout`` option; the production
    pool waits for a connection as long (filamenta/pooling.py).
    """
    return whole_number("DB_CONNECT_TIMEOUT", 5, minimum=1)


def _from_url(url: str) -> dict[str, Any]:
    try:
        config = dj_database_url.parse(url)
    except (ValueError, dj_database_url.ParseError) as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL={redact_url(url)!r} is not a database URL we can use "
            f"({type(exc).__name__}). Accepted forms: {URL_EXAMPLES}."
        ) from None
    if config["ENGINE"] not in ENGINES_BY_DB_TYPE.values():
        raise ImproperlyConfigured(
            f"DATABASE_URL={redact_url(url)!r} names {config['ENGINE']}, which Filamenta "
            f"does not support. Accepted forms: {URL_EXAMPLES}."
        )
    return config


def _from_fields(env: environ.Env) -> dict[str, Any]:
    db_type = env.str("DB_TYPE").strip().lower()
    if db_type not in ENGINES_BY_DB_TYPE:
        raise ImproperlyConfigured(
            f"DB_TYPE={db_type!r} is not a database type; use one of: "
            f"{', '.join(ENGINES_BY_DB_TYPE)}."
        )
    engine = ENGINES_BY_DB_TYPE[db_type]
    port = env.str("DB_PORT", default="")
    if port:
        port = str(whole_number("DB_PORT", 5432, minimum=1, maximum=65535))
    return {
        "ENGINE": engine,
        "NAME": env.str("DB_NAME", default=""),
        "USER": env.str("DB_USER", default=""),
        "PASSWORD": env.str("DB_PASSWORD", default=""),
        "HOST": env.str("DB_HOST", default="" if engine == SQLITE else "127.0.0.1"),
        "PORT": port,
    }


def _options_for(engine: str) -> dict[str, Any]:
    if engine == MYSQL:
        # utf8mb4 stores every Unicode character (emoji included); strict mode
        # makes MySQL refuse bad data instead of truncating it (Django's mysql.W002).
        return {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    if engine == SQLITE:
        # Several Passenger or gunicorn processes may share the file: WAL lets
        # readers run beside a writer, and IMMEDIATE transactions take the write
        # lock up front instead of failing with "database is locked" mid-way.
        return {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return {}
