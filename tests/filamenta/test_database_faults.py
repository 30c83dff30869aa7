"""A database that does not answer, or a connection that dies: a prompt 503, never a 500.

The silent database runs in a child process: Django configures its database
once per interpreter, and the suite's own connection must stay usable.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from devtools.local_servers import run_python

# What a load balancer and a visitor see: for each path, the status, the
# Retry-After header and how long the answer took. Client(raise_request_exception=False)
# answers as a real server would, through handler500, instead of re-raising.
CHILD = """
import json, sys, time
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
answers = {}
for path in sys.argv[1:]:
    started = time.monotonic()
    response = client.get(path)
    answers[path] = {
        "status": response.status_code,
        "retry_after": response.get("Retry-After"),
        "seconds": time.monotonic() - started,
        "body": response.content.decode(),
    }
print(json.dumps(answers))
"""

# settings.production's pool, over the test settings (production needs Redis and TLS).
POOLED_SETTINGS = """
from settings.test import *  # noqa: F403
from settings.test import DATABASES
from filamenta.pooling import database_pool

DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["OPTIONS"]["pool"] = database_pool()
"""

SILENT_URLS = {
    "postgresql": "postgres://root@127.0.0.1:{port}/x",
    "mysql": "mysql://root@127.0.0.1:{port}/x",
}


def ask_silent_database(env: dict[str, str], url: str, *paths: str) -> dict[str, dict]:
    env = {**env, "DATABASE_URL": url, "DB_CONNECT_TIMEOUT": "2"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "settings.test")
    # Well above two connect timeouts per path on a loaded machine, well below
    # the 130 s psycopg waited by default: a hang fails here, not in CI's timeout.
    result = run_python("-c", CHILD, *paths, env=env, timeout=90)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def assert_briefly_unavailable(answer: dict) -> None:
    assert answer["status"] == 503, answer["body"][:300]
    assert answer["retry_after"] is not None
    assert answer["retry_after"].isdigit()
    # Not a timing test: only that the connect timeout, not psycopg's 130 s
    # or a worker's 30 s, is what ended the wait.
    assert answer["seconds"] < 30


@pytest.mark.parametrize("vendor", SILENT_URLS)
def test_a_silent_database_makes_healthz_a_prompt_503(clean_env, silent_port, vendor):
    answers = ask_silent_database(
        clean_env, SILENT_URLS[vendor].format(port=silent_port), "/healthz"
    )
    assert_briefly_unavailable(answers["/healthz"])
    body = json.loads(answers["/healthz"]["body"])
    assert body["status"] == "error"
    assert body["database"].startswith("down (OperationalError")


@pytest.mark.parametrize("vendor", SILENT_URLS)
def test_a_silent_database_makes_public_pages_503_not_500(clean_env, silent_port, vendor):
    answers = ask_silent_database(
        clean_env, SILENT_URLS[vendor].format(port=silent_port), "/", "/articles/"
    )
    for path in ("/", "/articles/"):
        assert_briefly_unavailable(answers[path])
        assert "briefly unavailable" in answers[path]["body"]


def test_a_silent_database_behind_the_pool_is_a_prompt_503(clean_env, silent_port, tmp_path: Path):
    (tmp_path / "pooled_settings.py").write_text(POOLED_SETTINGS)
    env = {
        **clean_env,
        "PYTHONPATH": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pooled_settings",
    }
    answers = ask_silent_database(
        env, SILENT_URLS["postgresql"].format(port=silent_port), "/healthz", "/"
    )
    assert_briefly_unavailable(answers["/healthz"])
    assert_briefly_unavailable(answers["/"])


# A connection the server ends while the site holds it: the race CONN_HEALTH_CHECKS
# cannot close (it checks once per request, before the first query), and what a
# database restart or failover does to every persistent connection at once.
OWN_ID_AND_KILL = {
    "postgresql": (
        "SELECT pg_backend_pid()",
        "SELECT pg_terminate_backend(%s)",
        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
    ),
    "mysql": (
        "SELECT CONNECTION_ID()",
        "KILL %s",
        "SELECT count(*) FROM information_schema.PROCESSLIST WHERE ID = %s",
    ),
}


@pytest.fixture
def kill_connection():
    """kill_connection(): the server ends the connection the site is holding, as a restart would."""
    from django.db import connection, connections

    if connection.vendor not in OWN_ID_AND_KILL:
        pytest.skip("SQLite has no server to end a connection; runs on PostgreSQL and MariaDB")
    own_id, kill, alive = OWN_ID_AND_KILL[connection.vendor]

    def kill_it() -> None:
        with connection.cursor() as cursor:
            cursor.execute(own_id)
            (backend,) = cursor.fetchone()
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute(kill, [backend])
                # Both return before the backend has gone; wait until it has, so
                # the request below cannot slip in ahead of the kill.
                for _ in range(100):
                    cursor.execute(alive, [backend])
                    if cursor.fetchone()[0] == 0:
                        return
                    time.sleep(0.1)
            raise AssertionError(f"the server did not end connection {backend}")
        finally:
            other.close()

    return kill_it


@pytest.fixture
def signed_in_client(django_user_model):
    """A reader whose session is in the database: every request of theirs queries it."""
    from django.test import Client

    user = django_user_model.objects.create_user(username="reader", password="pw-long-enough-1")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# transaction=True: no test transaction around the request, as in production;
# inside one, Django refuses to close the dead connection until it ends.
# serialized_rollback: the flush after it would otherwise recreate the content
# types under new keys, which a later serialized_rollback test cannot load back.
@pytest.mark.database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_get_on_a_dead_connection_is_retried_once_on_a_fresh_one(
    signed_in_client, kill_connection
):
    kill_connection()
    response = signed_in_client.get("/accounts/profile/")
    assert response.status_code == 200
    assert b"reader" in response.content


@pytest.mark.database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_post_on_a_dead_connection_is_a_503_and_not_repeated(signed_in_client, kill_connection):
    kill_connection()
    response = signed_in_client.post("/accounts/profile/", {"first_name": "Changed"})
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    assert b"briefly unavailable" in response.content
    # The dead connection was dropped: the next request is served normally.
    assert signed_in_client.get("/accounts/profile/").status_code == 200


def test_a_database_error_outside_a_view_is_a_503_and_anything_else_a_500(rf):
    from django.db import InterfaceError, OperationalError

    from filamenta.database_faults import server_error

    for error in (OperationalError("server closed the connection"), InterfaceError("closed")):
        try:
            raise error
        except type(error):
            response = server_error(rf.get("/"))
        assert response.status_code == 503
        assert response["Retry-After"].isdigit()
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_the_site_routes_uncaught_errors_through_the_database_aware_handler():
    from filamenta import urls

    assert urls.handler500 == "filamenta.database_faults.server_error"


def test_the_503_page_renders_without_touching_the_database():
    from filamenta.database_faults import database_unavailable

    # Its whole point is to be served while the database is down. No django_db
    # mark: pytest-django makes any query here raise.
    response = database_unavailable()
    assert b"briefly unavailable" in response.content
    assert "no-store" in response["Cache-Control"]


def test_with_debug_on_a_database_error_keeps_django_s_traceback_page(rf, settings):
    from django.db import OperationalError
    from django.http import HttpResponse

    from filamenta.database_faults import DatabaseFaultMiddleware

    # "no such table" after a forgotten migrate must not look like an outage.
    settings.DEBUG = True
    middleware = DatabaseFaultMiddleware(lambda request: HttpResponse())
    error = OperationalError("no such table: content_article")
    assert middleware.process_exception(rf.post("/"), error) is None
    settings.DEBUG = False
    assert middleware.process_exception(rf.post("/"), error).status_code == 503
    assert middleware.process_exception(rf.post("/"), ValueError("a bug")) is None
