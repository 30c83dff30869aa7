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

from devtools.local_servers import LOOPBACK, RedisServer, is_listening

from .harness import Rehearsal

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
        is_listening(host, port, timeout=0.5),
        "start it (bash .ci/ensure-services) or set the URL variable",
    )


def _per_run(name: str) -> str:
    """``name`` and this process's id: two runs of one rehearsal at once (two CI checkouts,
    a person beside CI) would otherwise drop each other's database half-way."""
    return f"{name}_{os.getpid()}"


def postgresql_database(rehearsal: Rehearsal, name: str) -> str:
    """Create database ``name`` (one per run) on PostgreSQL; return its URL; drop it at the end."""
    import psycopg

    name = _per_run(name)

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
    """Create database ``name`` (one per run) on MariaDB; return its URL; drop it at the end."""
    import pymysql

    name = _per_run(name)

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


class PrivateRedis(RedisServer):
    """devtools' private redis-server, started as one of the rehearsal's servers.

    Each start is a rehearsal check, logs to workdir/redis.log (redis-2.log after
    a restart) and is stopped with the rest when the rehearsal ends, however it ends.
    """

    def __init__(self, rehearsal: Rehearsal, env: dict[str, str], *, persist: bool = False):
        binary = shutil.which("redis-server", path=env.get("PATH"))
        rehearsal.require("redis-server is installed", bool(binary), "apt-get install redis-server")
        super().__init__(rehearsal.workdir / "redis", persist=persist, binary=binary)
        self.rehearsal, self.env = rehearsal, env
        self.starts = 0
        self.start()

    @property
    def label(self) -> str:
        return "redis" if self.starts == 1 else f"redis-{self.starts}"

    def start(self, *extra: str, timeout: float = 15) -> None:
        """Start it (again: same port, same data); the rehearsal cannot go on without it."""
        self.starts += 1
        try:
            super().start(*extra, timeout=timeout)
            up = True
        except RuntimeError:
            up = False
        self.rehearsal.require(
            f"private Redis up on {LOOPBACK}:{self.port}", up, self.rehearsal.log_tail(self.label)
        )

    def launch(self, command: list[str]) -> subprocess.Popen:
        """Through Rehearsal.start, so that its log is kept and its stop deferred."""
        return self.rehearsal.start(self.label, command, env=self.env)


def private_redis(rehearsal: Rehearsal, env: dict[str, str]) -> str:
    """A redis-server of our own on a free port, keeping nothing on disk; return its URL."""
    return PrivateRedis(rehearsal, env).url
