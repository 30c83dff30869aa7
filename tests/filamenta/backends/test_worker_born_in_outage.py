"""Workers that gunicorn (re)starts while Redis is down join the deployment degraded.

Before, a worker born during an outage failed its start-up probe: with
CACHE_BACKEND=redis gunicorn logged "Worker failed to boot" and exited for
good; with auto the worker took the file store for the rest of its life,
beside siblings on Redis. Here real gunicorn recycles its workers every few
requests (max_requests) through a Redis outage: every request is answered,
every worker is on the redis tier, and the site is fresh once Redis is back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devtools.local_servers import free_port, stop_group, wait_for_port
from tests.conftest import PROJECT_ROOT, run_manage
from tests.filamenta.backends.helpers import tier_env

SAVE_TITLE = (
    "from apps.content.models import Article; a = Article.objects.get(slug='outage-news'); "
    "a.title = {title!r}; a.save()"
)
CREATE = (
    "from apps.content.services import article_create, article_publish; "
    "article_publish(article=article_create(title='Before the outage', slug='outage-news'), "
    "by=None)"
)


class Gunicorn:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        # Sync workers recycled every 4 requests: many are born during the outage.
        command = "gunicorn filamenta.wsgi:application --workers 2 --max-requests 4"
        command += f" --bind 127.0.0.1:{self.port} --graceful-timeout 5 --timeout 60"
        self.process = subprocess.Popen(
            [sys.executable, "-m", *command.split()],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_for_port(self.port, process=self.process, timeout=60):
            self.stop()
            raise AssertionError(f"gunicorn did not start:\n{log.read_text()[-2000:]}")

    def get(self, path: str) -> requests.Response:
        # Generous: the machine may be busy; what matters is that it answers.
        return requests.get(f"http://127.0.0.1:{self.port}{path}", timeout=30)

    def stop(self) -> None:
        stop_group(self.process, grace=20)


@pytest.fixture
def site(clean_env, tmp_path, redis_server) -> Iterator:
    """site(tier) -> a migrated SQLite site on ``tier`` served by gunicorn, with one article."""
    started: list[Gunicorn] = []

    def start(tier: str) -> Gunicorn:
        env = tier_env(clean_env, tmp_path, tier, redis_server.url)
        env["DJANGO_DEBUG"] = "false"
        for args in (("migrate", "--no-input"), ("shell", "-c", CREATE)):
            result = run_manage(*args, env=env, timeout=120)
            assert result.returncode == 0, result.stderr
        server = Gunicorn(env, tmp_path / "gunicorn.log")
        started.append(server)
        server.env = env
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.redis
@pytest.mark.parametrize("tier", ["redis", "auto"])
def test_workers_recycled_during_an_outage_keep_serving_on_one_tier(site, redis_server, tier):
    server = site(tier)
    assert "Before the outage" in server.get("/articles/outage-news/").text

    redis_server.kill()
    during = []
    for _ in range(12):  # each worker is replaced every 4 requests: about 10 born in the outage
        for path in ("/", "/articles/outage-news/", "/healthz"):
            during.append((path, server.get(path)))
    result = run_manage("shell", "-c", SAVE_TITLE.format(title="Edited in the outage"),
                        env=server.env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    during += [("/articles/outage-news/", server.get("/articles/outage-news/")) for _ in range(6)]

    assert server.process.poll() is None, server.log.read_text()[-3000:]
    assert [(p, r.status_code) for p, r in during if r.status_code != 200] == []
    health = [r.json() for p, r in during if p == "/healthz"]
    assert {h["tier"] for h in health} == {"redis"}
    assert "degraded" in {h["status"] for h in health}
    assert "down as this process starts" in server.log.read_text()
    assert "Edited in the outage" in during[-1][1].text
    # What the running workers say, not a fresh probe from the command's own process.
    reported = backends_status(server.env)
    assert reported["tier"] == "redis"
    assert reported["redis"]["state"] == "open"
    assert "open" in {w["state"] for w in reported["workers"]}

    redis_server.start()
    # Concurrent requests, so that an idle worker with its breaker open gets one too
    # (sequential requests tend to reach the same worker): each finds Redis back.
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(4) as pool:
        while backends_status(server.env)["redis"]["state"] != "closed":
            assert time.monotonic() < deadline, backends_status(server.env)
            pages = list(pool.map(server.get, ["/articles/outage-news/"] * 8))
            assert {r.status_code for r in pages} == {200}
            time.sleep(0.2)
        views = list(pool.map(server.get, ["/articles/outage-news/"] * 20))
    assert {r.status_code for r in views} == {200}
    assert all("Edited in the outage" in r.text for r in views)
    health = [server.get("/healthz").json() for _ in range(4)]
    assert {(h["tier"], h["status"]) for h in health} == {("redis", "ok")}


def backends_status(env: dict[str, str]) -> dict:
    result = run_manage("backends", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
