"""The servers a benchmark starts: its own Redis and a gunicorn per case, always stopped.

Every server binds to 127.0.0.1 on a free port, runs in its own process group
and is stopped in a ``finally``: a benchmark that fails or is interrupted
leaves nothing behind, and never touches the shared Redis on 6379.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

from devtools.local_servers import (
    LOOPBACK,
    PROJECT_ROOT,
    RedisServer,
    expect_listening,
    free_port,
    is_listening,
    stop_group,
)


def port_open(port: int, *, timeout: float = 0.2) -> bool:
    """Whether something answers on ``port`` of the loopback (bench.run asks about PostgreSQL)."""
    return is_listening(LOOPBACK, port, timeout)


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """A Redis of the benchmark's own, empty at every start, which it may stop and start at will."""
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def worker_pids(self) -> list[int]:
        return [child.pid for child in psutil.Process(self.process.pid).children()]


@contextmanager
def gunicorn(*, env: dict[str, str], workers: int, log: Path) -> Iterator[Gunicorn]:
    """Serve the bench settings with ``workers`` sync workers, the same for every case."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            [
                sys.executable,
                "-m",
                "gunicorn",
                "filamenta.wsgi:application",
                "--bind",
                f"{LOOPBACK}:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        expect_listening(port, process=process, timeout=60)
        server = Gunicorn(process=process, port=port)
        _wait_for_workers(server, workers)
        yield server
    finally:
        stop_group(process)


def _wait_for_workers(server: Gunicorn, workers: int, *, timeout: float = 30) -> None:
    # The master accepts before its workers have forked: measuring memory or
    # latency then would count a worker short.
    deadline = time.monotonic() + timeout
    while len(server.worker_pids()) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn started {len(server.worker_pids())} of {workers} workers")
        time.sleep(0.1)
