"""The processes our tools start on this machine: servers on free loopback ports, child Pythons.

The tests, the benchmarks and the deployment rehearsals all start real servers
(a private redis-server, gunicorn, Apache, nginx) and must never reach the
shared ones (Redis on 6379 belongs to every checkout on the machine). So every
server binds 127.0.0.1 on a port the kernel hands out, runs in a process group
of its own so that stopping it stops its children too, and is waited for until
it answers rather than for a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


# -- ports -------------------------------------------------------------------
def free_port() -> int:
    """A port nothing listens on now; the kernel picks it, so parallel runs do not collide."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def is_listening(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts a TCP connection on ``host:port`` within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int, *, process: subprocess.Popen | None = None, timeout: float, host: str = LOOPBACK
) -> bool:
    """True once ``port`` accepts; False after ``timeout`` or as soon as ``process`` has died.

    Polling beats a fixed sleep: a server is used the moment it is ready, and a
    server that crashed at start-up is reported at once, not at the deadline.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(host, port, timeout=0.5):
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def expect_listening(port: int, *, process: subprocess.Popen, timeout: float) -> None:
    """:func:`wait_for_port` for callers that cannot go on: ``RuntimeError`` saying why."""
    if wait_for_port(port, process=process, timeout=timeout):
        return
    name = Path(str(process.args[0])).name
    if process.poll() is not None:
        raise RuntimeError(
            f"{name} exited with {process.returncode} before listening on {LOOPBACK}:{port}"
        )
    raise RuntimeError(f"{name}: nothing listened on {LOOPBACK}:{port} within {timeout:.0f} s")


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers: a hung server."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen(64)
        yield sock.getsockname()[1]


# -- processes ---------------------------------------------------------------
def stop_group(process: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM the process group of ``process`` (started with ``start_new_session``), then SIGKILL.

    The group, not the process: gunicorn's workers, Apache's children and a
    redis-server's rewrite child must go with their parent.
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def run_command(
    command: list[str], *, env: dict[str, str], timeout: float, cwd: Path = PROJECT_ROOT
) -> subprocess.CompletedProcess:
    """Run ``command`` to its end from the project root; its output is captured as text."""
    return subprocess.run(  # noqa: S603 - our own command lines, never a shell
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def run_python(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the project's Python with ``args`` in a child process, from the project root.

    A fresh interpreter is the only way to see what settings, entry points and
    start-up do with a given environment: Django configures itself once.
    """
    return run_command([sys.executable, *args], env=env, timeout=timeout)


# -- a private Redis ---------------------------------------------------------
class RedisServer:
    """A redis-server of our own on a free port, which its owner may stop, kill and start again.

    It starts again on the same port with the same data directory, so clients
    configured with :attr:`url` find it back. ``persist`` keeps the data on disk
    (an append-only file, fsynced on every write) across a restart or even a
    SIGKILL, as a Debian Redis does: what comes back after an outage is what it
    held before, now stale. Without it, a restart comes back empty.
    """

    def __init__(
        self, directory: Path, *, persist: bool = False, binary: str | None = None
    ) -> None:
        self.directory = directory
        self.persist = persist
        self.binary = binary or shutil.which("redis-server") or "redis-server"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def command(self, *extra: str) -> list[str]:
        """The redis-server command line; ``extra`` adds options (``--requirepass`` …)."""
        if self.persist:
            persistence = ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            persistence = ["--appendonly", "no"]
        return [
            self.binary, "--bind", LOOPBACK, "--port", str(self.port),
            "--dir", str(self.directory), "--save", "", *persistence, *extra,
        ]  # fmt: skip

    def start(self, *extra: str, timeout: float = 10) -> None:
        """Start it and wait until it answers; if it does not, stop it and raise RuntimeError."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = self.launch(self.command(*extra))
        try:
            expect_listening(self.port, process=self.process, timeout=timeout)
        except RuntimeError:
            self.stop()
            raise

    def launch(self, command: list[str]) -> subprocess.Popen:
        """Start the process, in a group of its own, logging to ``redis.log`` in its directory."""
        with (self.directory / "redis.log").open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self, grace: float = 10) -> None:
        """Stop it as an operator would (SIGTERM): with ``persist`` it writes what it holds."""
        if self.process is not None:
            stop_group(self.process, grace)
            self.process = None

    def kill(self) -> None:
        """SIGKILL it, as a crash or the OOM killer would: nothing is written on the way out."""
        if self.process is not None:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None
