"""Real services for the backend tests: a Redis of their own, and Sentinels watching it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.local_servers import LOOPBACK, RedisServer, expect_listening, free_port
from tests.services import services_required


def _require_redis_server() -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own; its data survives a kill, as after a network cut."""
    _require_redis_server()
    server = RedisServer(tmp_path, persist=True)
    server.start()
    yield server
    server.kill()


class SentinelServer:
    """A Redis Sentinel on its own port monitoring one master (quorum 1: it decides alone).

    ``master`` is unique per instance: django-redis keeps its connection pools
    per process keyed by LOCATION (redis://<master>/0), so two tests sharing a
    name in one process would share a pool bound to the first test's sentinel.
    """

    def __init__(
        self,
        directory: Path,
        master_port: int,
        *,
        master_password: str = "",
        password: str = "",
        down_after_ms: int = 1000,
    ) -> None:
        self.port = free_port()
        self.master = f"filamenta-{self.port}"
        self.directory = directory / f"sentinel-{self.port}"
        self.directory.mkdir()
        # Sentinel rewrites its configuration file as it learns: a file of its own.
        self.config = self.directory / "sentinel.conf"
        lines = [
            f"port {self.port}",
            f"bind {LOOPBACK}",
            f"dir {self.directory}",
            f"sentinel monitor {self.master} {LOOPBACK} {master_port} 1",
            f"sentinel down-after-milliseconds {self.master} {down_after_ms}",
            f"sentinel failover-timeout {self.master} 3000",
        ]
        if master_password:
            lines.append(f"sentinel auth-pass {self.master} {master_password}")
        if password:
            lines.append(f"requirepass {password}")
        self.config.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen(
            ["redis-server", str(self.config), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        expect_listening(self.port, process=self.process, timeout=10)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_sentinel(tmp_path: Path) -> Iterator:
    """start_sentinel(master_port, **options) -> a SentinelServer, killed after the test."""
    _require_redis_server()
    started: list[SentinelServer] = []

    def start(master_port: int, **options) -> SentinelServer:
        server = SentinelServer(tmp_path, master_port, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture
def sentinel(redis_server: RedisServer, start_sentinel) -> SentinelServer:
    """A sentinel monitoring the test's own redis-server."""
    return start_sentinel(redis_server.port)
