"""The real services a rehearsal runs against, each with a database of its own.

The shared PostgreSQL and MariaDB get a database per rehearsal, dropped at the
end; Redis is a private redis-server on a free port, because the shared one on
6379 belongs to the test suite and the other engineers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import urlsplit, urlunsplit

from .harness import LOOPBACK, Rehearsal, free_port, is_listening, stop_group, wait_for_port

# Where the servers are; the same variables as the Makefile's test targets.
POSTGRESQL_URL = os.environ.get("TEST_POSTGRESQL_URL", "postgres://root@127.0.0.1:5432/test")
MARIADB_URL = os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _reachable(rehearsal: Rehearsal, label: str, url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    host, port = parts.hostname or LOOPBACK, parts.port or default_port
    return rehearsal.check(
        f"{label} answers at {host}:{port}",
        is_listening(port, host),
        "start it (bash .ci/ensure-services) or set the URL variable",
    )


def postgresql_database(rehearsal: Rehearsal, name: str) -> str:
    """Create (afresh) database ``name`` on PostgreSQL; return its URL; drop it at the end."""
    import psycopg

    if not _reachable(rehearsal, "PostgreSQL", POSTGRESQL_URL, 5432):
        raise RuntimeError("PostgreSQL is not reachable")

    def execute(sql: str) -> None:
        with psycopg.connect(POSTGRESQL_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{name}"')
    rehearsal.defer(
        f"database {name}", lambda: execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    )
    return _with_database(POSTGRESQL_URL, name)


def mariadb_database(rehearsal: Rehearsal, name: str) -> str:
    """Create (afresh) database ``name`` on MariaDB; return its URL; drop it at the end."""
    import pymysql

    if not _reachable(rehearsal, "MariaDB", MARIADB_URL, 3306):
        raise RuntimeError("MariaDB is not reachable")
    parts = urlsplit(MARIADB_URL)

    def execute(sql: str) -> None:
        conn = pymysql.connect(
            host=parts.hostname or LOOPBACK,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            connect_timeout=5,
        )
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    execute(f"DROP DATABASE IF EXISTS `{name}`")
    execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    rehearsal.defer(f"database {name}", lambda: execute(f"DROP DATABASE IF EXISTS `{name}`"))
    return _with_database(MARIADB_URL, name)


class PrivateRedis:
    """A redis-server of our own on a free port, which a rehearsal may stop and start again.

    ``persist`` keeps its data on disk across a restart, as Debian's Redis
    does: what comes back after an outage is what it held before, now stale.
    """

    def __init__(self, rehearsal: Rehearsal, env: dict[str, str], *, persist: bool = False):
        self.binary = shutil.which("redis-server", path=env.get("PATH"))
        rehearsal.require(
            "redis-server is installed", bool(self.binary), "apt-get install redis-server"
        )
        self.rehearsal, self.env, self.persist = rehearsal, env, persist
        self.port = free_port()
        self.data = rehearsal.workdir / "redis"
        self.data.mkdir()
        self.starts = 0
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        self.starts += 1
        label = "redis" if self.starts == 1 else f"redis-{self.starts}"
        persistence = ["--appendonly", "yes"] if self.persist else ["--appendonly", "no"]
        self.process = self.rehearsal.start(
            label,
            [self.binary, "--bind", LOOPBACK, "--port", str(self.port), "--save", "",
             *persistence, "--dir", str(self.data)],
            env=self.env,
        )  # fmt: skip
        self.rehearsal.require(
            f"private Redis up on {LOOPBACK}:{self.port}",
            wait_for_port(self.port, timeout=15, process=self.process),
            self.rehearsal.log_tail(label),
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None


def private_redis(rehearsal: Rehearsal, env: dict[str, str]) -> str:
    """A redis-server of our own on a free port, keeping nothing on disk; return its URL."""
    return PrivateRedis(rehearsal, env).url
