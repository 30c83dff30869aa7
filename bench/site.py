"""A seeded demo site for the benchmark, in databases of its own.

The benchmark creates its databases (``filamenta_bench`` by default) next to
the shared ``test`` ones and never touches those. Every step goes through
``manage.py`` as an operator would run it, and is idempotent, so a second run
reuses what the first one built.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from devtools.local_servers import PROJECT_ROOT, run_python
from filamenta.environment import documented_variables

# Variables of the developer's shell that would change what the benchmark measures:
# every one .env.example documents, the one list of the project's configuration.
PROJECT_VARIABLES = documented_variables()

EDITOR_USERNAME = "bench-editor"
CREATE_EDITOR = """
import os
from django.contrib.auth import get_user_model
user, _ = get_user_model().objects.update_or_create(
    username=os.environ["BENCH_EDITOR_USERNAME"],
    defaults={"is_staff": True, "is_superuser": True, "is_active": True},
)
user.set_password(os.environ["BENCH_EDITOR_PASSWORD"])
user.save()
"""


# A freshly seeded table has no planner statistics until autovacuum comes round
# (PostgreSQL guesses a handful of rows and plans as for a tiny table); a site
# that has run for a day has them. EXPLAIN should show the day-old site's plans.
ANALYZE = """
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE")
    elif connection.vendor == "mysql":
        tables = connection.introspection.table_names(cursor)
        cursor.execute("ANALYZE TABLE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        cursor.fetchall()
    else:
        cursor.execute("ANALYZE")
"""


def base_env(*, workdir: Path, secret_key: str) -> dict[str, str]:
    """The environment of every process the benchmark starts: bench settings, no .env file."""
    env = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        FILAMENTA_ENV_FILE=os.devnull,
        DJANGO_SECRET_KEY=secret_key,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="false",
        INSTANCE_DIR=str(workdir / "instance"),
        STATIC_ROOT=str(workdir / "static"),
        LOG_LEVEL="WARNING",
        # Set-up commands use the memory tier: left to the VPS default they would
        # probe, and write cache versions to, the shared Redis on 6379.
        CACHE_BACKEND="memory",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


def ensure_database(url: str) -> None:
    """Create the server database named in ``url`` if it is missing (SQLite creates itself)."""
    config = dj_database_url.parse(url)
    engine, name = config["ENGINE"], config["NAME"]
    if engine.endswith("postgresql"):
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 5432),
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
            connect_timeout=5,
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    elif engine.endswith("mysql"):
        from filamenta.mysql_driver import ensure_mysql_driver

        ensure_mysql_driver()
        import MySQLdb

        connection = MySQLdb.connect(
            host=config["HOST"] or "127.0.0.1",
            port=int(config["PORT"] or 3306),
            user=config["USER"] or "root",
            password=config["PASSWORD"] or "",
            connect_timeout=5,
        )
        try:
            escaped = name.replace("`", "``")
            connection.cursor().execute(
                f"CREATE DATABASE IF NOT EXISTS `{escaped}` CHARACTER SET utf8mb4"
            )
        finally:
            connection.close()


def manage(*args: str, env: dict[str, str], timeout: float = 900) -> str:
    completed = run_python("manage.py", *args, env=env, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({completed.returncode}):\n"
            f"{(completed.stdout + completed.stderr)[-3000:]}"
        )
    return completed.stdout


def prepare_site(*, env: dict[str, str], users: int, articles: int, editor_password: str) -> None:
    """Database, tables, demo content (analysed), static files and an editor for the admin."""
    ensure_database(env["DATABASE_URL"])
    manage("migrate", "--no-input", env=env)
    manage(
        "seed_demo", "--users", str(users), "--articles", str(articles), "--no-progress", env=env
    )
    manage("shell", "-c", ANALYZE, env=env)
    manage("collectstatic", "--no-input", env=env)
    editor_env = dict(
        env, BENCH_EDITOR_USERNAME=EDITOR_USERNAME, BENCH_EDITOR_PASSWORD=editor_password
    )
    manage("shell", "-c", CREATE_EDITOR, env=editor_env)
