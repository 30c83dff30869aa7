"""The servers a benchmark starts: its own Redis and a gunicorn per case, always stopped.

Every server binds to 127.0.0.1 on a free port, runs in its own process group
and is stopped in a ``finally``: a benchmark that fails or is interrupted
leaves nothing behind, and never touches the shared Redis on 6379.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on now (the kernel picks it, so parallel runs do not collide)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_open(port: int, *, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(port: int, *, process: subprocess.Popen, timeout: float) -> None:
    """Wait until ``port`` accepts; fail early, with the server's own words, if it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        if process.poll() is not None:
            raise RuntimeError(
                f"{process.args[0]} exited with {process.returncode} before listening"
            )
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {LOOPBACK}:{port} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen, *, timeout: float = 10) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after ``timeout``."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass


@dataclass
class RedisServer:
    """A redis-server of the benchmark's own, which it may stop and start at will."""

    port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                LOOPBACK,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, process=self.process, timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(port=free_port(), workdir=workdir)
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
        wait_for_port(port, process=process, timeout=60)
        server = Gunicorn(process=process, port=port)
        _wait_for_workers(server, workers)
        yield server
    finally:
        stop_process(process)


def _wait_for_workers(server: Gunicorn, workers: int, *, timeout: float = 30) -> None:
    # The master accepts before its workers have forked: measuring memory or
    # latency then would count a worker short.
    deadline = time.monotonic() + timeout
    while len(server.worker_pids()) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn started {len(server.worker_pids())} of {workers} workers")
        time.sleep(0.1)
