"""Real services for the backend tests: a Redis of their own, a port that never answers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apps_support import isolated_caches, make_user  # noqa: F401 - fixtures
from tests.services import is_listening, services_required


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server on its own port; data kept on disk (appendfsync always) across restarts,
    so a restart brings back what was there before it died, as after a network cut."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.start_with([])

    def start_with(self, extra: list[str]) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not is_listening("127.0.0.1", self.port, timeout=0.2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


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
            "bind 127.0.0.1",
            f"dir {self.directory}",
            f"sentinel monitor {self.master} 127.0.0.1 {master_port} 1",
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
        deadline = time.monotonic() + 10
        while not is_listening("127.0.0.1", self.port, timeout=0.2):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server --sentinel did not start on port {self.port}")
            time.sleep(0.05)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _require_redis_server() -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


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
