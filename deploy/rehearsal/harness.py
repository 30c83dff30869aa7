"""What every rehearsal shares: checks with a PASS/FAIL summary, processes that
are always stopped, a time limit and clean environments.

Free ports, waiting on them and stopping process groups: devtools.local_servers (shared).

A rehearsal starts real servers; if it stops half-way (a failed check, an
exception, Ctrl-C, the time limit) everything it started must still be
stopped, so every start registers its own clean-up before anything else runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devtools.local_servers import PROJECT_ROOT, run_command, stop_group
from filamenta.environment import documented_variables

PYTHON = sys.executable


SIGNALS = (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class RehearsalAborted(Exception):
    """Raised by the time limit or a signal, so that clean-up still runs."""


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Rehearsal:
    """One rehearsal run: ``with Rehearsal("vps", budget=300) as r: ...``."""

    name: str
    budget: int = 300
    checks: list[Check] = field(default_factory=list)
    _cleanups: list[tuple[str, Callable[[], object]]] = field(default_factory=list)
    _previous: dict[int, object] = field(default_factory=dict)
    workdir: Path = field(init=False)
    started: float = field(init=False)

    # -- lifetime ------------------------------------------------------------
    def __enter__(self) -> Rehearsal:
        self.started = time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"filamenta-rehearse-{self.name}-"))
        # Servers drop to other accounts (Apache's workers, nginx's): they must be
        # able to enter; the files holding secrets are 0600 (write_env_file).
        self.workdir.chmod(0o755)
        print(f"== rehearse-{self.name}: working in {self.workdir} (limit {self.budget} s)")

        def abort(signum: int, _frame: object) -> None:
            reason = "time limit reached" if signum == signal.SIGALRM else f"signal {signum}"
            raise RehearsalAborted(reason)

        self._previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
        for signum in SIGNALS:
            signal.signal(signum, abort)
        signal.alarm(self.budget)
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, _tb: object) -> bool:
        signal.alarm(0)
        if exc is not None:
            self.check("rehearsal ran to the end", False, f"{exc_type.__name__}: {exc}")
        # A second Ctrl-C must not leave servers running: ignore it while cleaning.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        for label, cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except Exception as error:  # every clean-up must get its turn
                print(f"  clean-up of {label} failed: {error}")
        if os.environ.get("REHEARSE_KEEP"):
            print(f"  REHEARSE_KEEP is set: {self.workdir} kept")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.summary()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        return True  # the exception became a failed check; exit_code() reports it

    def defer(self, label: str, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` when the rehearsal ends, last registered first."""
        self._cleanups.append((label, cleanup))

    # -- checks --------------------------------------------------------------
    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), detail))
        line = f"  {'PASS' if ok else 'FAIL'}  {name}"
        if detail and not ok:
            line += f"\n        {detail}"
        print(line, flush=True)
        return bool(ok)

    def require(self, name: str, ok: bool, detail: str = "") -> None:
        """A check the rest of the rehearsal cannot go on without."""
        if not self.check(name, ok, detail):
            raise RehearsalAborted(f"cannot go on without: {name}")

    def summary(self) -> None:
        elapsed = time.monotonic() - self.started
        failed = [c for c in self.checks if not c.ok]
        verdict = "FAIL" if failed or not self.checks else "PASS"
        print(
            f"== rehearse-{self.name}: {verdict} — {len(self.checks) - len(failed)} passed, "
            f"{len(failed)} failed, in {elapsed:.1f} s"
        )
        for check in failed:
            print(f"   FAIL  {check.name}: {check.detail}")

    def exit_code(self) -> int:
        return 0 if self.checks and all(c.ok for c in self.checks) else 1

    # -- processes -----------------------------------------------------------
    def start(
        self, label: str, command: list[str], *, env: dict[str, str], cwd: Path = PROJECT_ROOT
    ) -> subprocess.Popen:
        """Start a server in its own process group, logging to workdir/<label>.log."""
        log = open(self.workdir / f"{label}.log", "wb")  # noqa: SIM115 - closed by the clean-up
        process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.defer(label, lambda: (stop_group(process), log.close()))
        return process

    def log_tail(self, label: str, lines: int = 15) -> str:
        path = self.workdir / f"{label}.log"
        if not path.exists():
            return f"(no {path.name})"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def run(
        self, label: str, command: list[str], *, env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess:
        """Run a command to its end; its output goes to workdir/<label>.log."""
        result = run_command(command, env=env, timeout=timeout)
        (self.workdir / f"{label}.log").write_text(result.stdout + result.stderr)
        return result

    def manage(
        self, label: str, *args: str, env: dict[str, str], timeout: float = 120
    ) -> subprocess.CompletedProcess:
        return self.run(label, [PYTHON, "manage.py", *args], env=env, timeout=timeout)


def clean_environment(**extra: str) -> dict[str, str]:
    """os.environ without the project's variables, plus ``extra``."""
    names = documented_variables()
    environ = {k: v for k, v in os.environ.items() if k not in names}
    # The venv's tools (gunicorn, hadolint, docker-compose) come first on PATH.
    environ["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{environ.get('PATH', '')}"
    environ.update(extra)
    return environ


def write_env_file(path: Path, values: dict[str, str]) -> Path:
    """A .env file as an operator would write it, readable by its owner only."""
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    path.chmod(0o600)
    return path


# -- system packages ---------------------------------------------------------
def ensure_debian_packages(rehearsal: Rehearsal, needed: dict[str, str]) -> bool:
    """``needed`` maps a Debian package to a file it installs; install what is missing.

    As root with apt-get, missing packages are installed; otherwise the check
    fails with the exact command to run.
    """
    missing = sorted(pkg for pkg, path in needed.items() if not Path(path).exists())
    if not missing:
        return rehearsal.check(f"Debian packages present: {', '.join(sorted(needed))}", True)
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return rehearsal.check(
            "Debian packages present", False, f"missing; run: sudo {' '.join(command)}"
        )
    print(f"  installing {', '.join(missing)} with apt-get")
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], env=apt_env, check=False)  # noqa: S607
    subprocess.run(command, env=apt_env, check=False)  # noqa: S603
    still = [pkg for pkg in missing if not Path(needed[pkg]).exists()]
    return rehearsal.check(
        f"Debian packages installed: {', '.join(missing)}", not still, f"still missing: {still}"
    )
