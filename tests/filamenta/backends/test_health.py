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


# Finding 13c: the status is public, the backends are named only to those who run the site.
TOKEN = "t0ken-" + "x" * 40
DETAILS = {"database", "tier", "breaker", "cache_backend", "session_engine", "ratelimit_backend"}


@pytest.mark.django_db
def test_a_client_elsewhere_gets_the_status_only(client):
    response = client.get("/healthz", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_loopback_gets_the_details(client, address):
    body = client.get("/healthz", REMOTE_ADDR=address).json()
    assert set(body) >= DETAILS, body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "details"),
    [
        (f"Bearer {TOKEN}", True),
        (f"bearer {TOKEN}", True),
        (f"Bearer {TOKEN[:-1]}", False),
        (f"Basic {TOKEN}", False),
        ("Bearer ", False),
        ("", False),
    ],
)
def test_the_token_opens_the_details_from_anywhere(client, settings, authorization, details):
    settings.HEALTHZ_TOKEN = TOKEN
    headers = {"Authorization": authorization} if authorization else {}
    body = client.get("/healthz", REMOTE_ADDR="203.0.113.7", headers=headers).json()
    assert (set(body) >= DETAILS) is details, body
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_without_a_token_configured_an_empty_bearer_opens_nothing(client, settings):
    settings.HEALTHZ_TOKEN = ""
    body = client.get("/healthz", REMOTE_ADDR="203.0.113.7", headers={"Authorization": "Bearer "})
    assert body.json() == {"status": "ok"}


def test_the_cause_of_an_outage_is_not_told_to_strangers(clean_env):
    env = {**clean_env, "DATABASE_URL": f"postgres://root@127.0.0.1:{free_port()}/absent"}
    stranger = REQUEST_HEALTHZ.replace(
        "HTTP_HOST='localhost'", "HTTP_HOST='localhost', REMOTE_ADDR='198.51.100.2'"
    )
    result = run_manage("shell", "-c", stranger, env=env)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert (status, json.loads(body)) == ("503", {"status": "error"})


@pytest.mark.parametrize("token", ["short", "x" * 31, "x" * 40 + "\n"])
def test_a_weak_token_stops_start_up(clean_env, token):
    result = run_manage("check", env={**clean_env, "HEALTHZ_TOKEN": token})
    assert result.returncode != 0
    assert "HEALTHZ_TOKEN must be empty or at least 32 printable characters" in result.stderr
