"""GET /healthz: 200 with the backends while the database answers, 503 when it does not."""

from __future__ import annotations

import json

import pytest

from devtools.local_servers import free_port
from tests.conftest import run_manage

REQUEST_HEALTHZ = (
    "from django.test import Client; r = Client().get('/healthz', HTTP_HOST='localhost'); "
    "print(r.status_code); print(r.content.decode())"
)


@pytest.mark.django_db
def test_healthz_reports_database_tier_and_breaker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["tier"] == "memory"
    assert body["breaker"] == "not configured"


@pytest.mark.django_db
def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_503_when_the_database_is_down(clean_env):
    # A PostgreSQL port with nothing listening: connections are refused at once.
    env = {**clean_env, "DATABASE_URL": f"postgres://root@127.0.0.1:{free_port()}/absent"}
    result = run_manage("shell", "-c", REQUEST_HEALTHZ, env=env)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    body = json.loads(body)
    assert body["status"] == "error"
    assert body["database"].startswith("down (OperationalError")
    assert body["tier"] == "file"
