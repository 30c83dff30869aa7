"""The production pool: a bounded wait for a connection, and no dead connection handed out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from filamenta.pooling import database_pool
from tests.conftest import PROJECT_ROOT
from tests.filamenta.test_database_faults import POOLED_SETTINGS
from tests.services import require_service

POSTGRESQL_URL = os.environ.get("TEST_POSTGRESQL_URL", "postgres://root@127.0.0.1:5432/test")


@pytest.fixture
def pool_env(monkeypatch):
    for name in ("DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE", "DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_waiting_for_a_pooled_connection_is_bounded_by_the_connect_timeout(pool_env):
    assert database_pool()["timeout"] == 5
    pool_env.setenv("DB_CONNECT_TIMEOUT", "2")
    assert database_pool()["timeout"] == 2


def test_pool_timeout_can_still_be_set_on_its_own(pool_env):
    pool_env.setenv("DB_CONNECT_TIMEOUT", "2")
    pool_env.setenv("DB_POOL_TIMEOUT", "7")
    assert database_pool()["timeout"] == 7


# Serve /healthz, then wait for a line on stdin before serving it again: the
# test kills the pool's connections in between.
TWICE = """
import json, sys
import django
django.setup()
from django.db import close_old_connections, connection
from django.test import Client
from psycopg_pool import ConnectionPool
client = Client(raise_request_exception=False)
print(json.dumps({
    "status": client.get("/healthz").status_code,
    "timeout": connection.pool.timeout,
    "checked": connection.pool._check is ConnectionPool.check_connection,
}), flush=True)
# What a real server's request_finished does (the test client skips it): with
# CONN_MAX_AGE=0 the connection goes back to the pool.
close_old_connections()
sys.stdin.readline()
print(json.dumps({"status": client.get("/healthz").status_code}), flush=True)
"""


def test_the_pool_never_hands_out_a_connection_the_server_ended(clean_env, tmp_path: Path):
    parts = urlsplit(POSTGRESQL_URL)
    require_service("PostgreSQL", parts.hostname or "127.0.0.1", parts.port or 5432)
    import psycopg

    name = f"filamenta-pool-{uuid.uuid4().hex[:8]}"
    (tmp_path / "pooled_settings.py").write_text(POOLED_SETTINGS)
    env = {
        **clean_env,
        "PYTHONPATH": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pooled_settings",
        # The name lets the test find this child's connections among the server's.
        "DATABASE_URL": f"{POSTGRESQL_URL}?application_name={name}",
        "DB_CONNECT_TIMEOUT": "2",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", TWICE],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def answer() -> dict:
        line = child.stdout.readline()
        if not line:
            # The child died: show why (it cannot block on stdin any more).
            pytest.fail(child.communicate(timeout=30)[1])
        return json.loads(line)

    try:
        assert answer() == {"status": 200, "timeout": 2, "checked": True}
        with psycopg.connect(POSTGRESQL_URL, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                " WHERE application_name = %s",
                [name],
            ).fetchone()[0]
        assert killed >= 1
        child.stdin.write("go\n")
        child.stdin.flush()
        assert answer() == {"status": 200}
    finally:
        child.kill()
        child.wait()
