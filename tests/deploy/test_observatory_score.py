"""Finding 3's goal: the Observatory's rules give the public pages 100 or more (A+).

A real gunicorn serves the site with settings.vps, settings.production and
settings.cpanel (as the review ran them); each public page is fetched as the
Observatory fetches it (devtools/observatory.py: over http and https,
following redirects, one cookie jar, a CORS preflight) and scored by the
ported rules. gunicorn stands where the site's own server is; the https leg
carries X-Forwarded-Proto as the TLS proxy in front would send it.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import observatory
from devtools.local_servers import RedisServer, free_port, stop_group, wait_for_port
from tests.conftest import PROJECT_ROOT, run_manage
from tests.services import FLEET_MEDIA

HOST = "filamenta.test"
PAGES = ("/", "/articles/", "/articles/scored-article/", "/accounts/login/")
CREATE = (
    "from apps.content.services import article_create, article_publish; "
    "article_publish(article=article_create(title='Scored', slug='scored-article'), by=None)"
)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic once: the hardened settings serve hashed names from the manifest."""
    return tmp_path_factory.mktemp("staticfiles")


@pytest.fixture
def served(clean_env, tmp_path, static_root) -> Iterator:
    """served(target) -> the port of a gunicorn serving a migrated site with one article."""
    processes: list[subprocess.Popen] = []
    redis: list[RedisServer] = []

    def start(target: str) -> int:
        env = {
            **clean_env,
            "DEPLOYMENT_TARGET": target,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "STATIC_ROOT": str(static_root),
        }
        if target == "production":  # Redis is required there: one of the test's own
            redis.append(RedisServer(tmp_path / "redis"))
            redis[-1].start()
            env["REDIS_URL"] = redis[-1].url
            env.update(FLEET_MEDIA)
        else:
            env["CACHE_BACKEND"] = "memory"
        steps = [("migrate", "--no-input"), ("shell", "-c", CREATE)]
        if not (static_root / "staticfiles.json").exists():
            steps.append(("collectstatic", "--no-input"))
        for args in steps:
            result = run_manage(*args, env=env, timeout=240)
            assert result.returncode == 0, result.stderr[-2000:]
        port = free_port()
        log = (tmp_path / "gunicorn.log").open("w")
        command = f"-m gunicorn filamenta.wsgi:application --workers 1 --bind 127.0.0.1:{port}"
        process = subprocess.Popen(
            [sys.executable, *command.split()],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        started = wait_for_port(port, process=process, timeout=60)
        assert started, (tmp_path / "gunicorn.log").read_text()[-2000:]
        return port

    yield start
    for process in processes:
        stop_group(process)
    for server in redis:
        server.kill()


@pytest.mark.redis
@pytest.mark.parametrize("target", ["vps", "production", "cpanel"])
def test_public_pages_score_a_plus(served, target):
    connect = observatory.through_proxy(served(target))
    scores = {
        path: observatory.scan_page(
            f"http://{HOST}{path}", f"https://{HOST}{path}", connect=connect
        )
        for path in PAGES
    }
    low = {path: scan.summary() for path, scan in scores.items() if scan.score < 100}
    assert not low, low
    # The sign-in page sets the CSRF cookie: the jar was filled and judged.
    login = scores["/accounts/login/"].tests["cookies"]
    assert login.result == "cookies-secure-with-httponly-sessions-and-samesite", login
    # __Host- at the root (finding 11), kept by the jar, so it met the prefix's rules.
    assert list(login.data) == ["__Host-csrftoken"]
