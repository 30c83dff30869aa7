"""Starting Django worker processes on a chosen tier."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devtools.local_servers import run_python
from tests.conftest import PROJECT_ROOT


def tier_env(clean_env: dict[str, str], tmp_path: Path, tier: str, redis_url: str = "") -> dict:
    """Development settings on ``tier``, with a fresh SQLite file holding the DB tables."""
    env = {
        **clean_env,
        "DJANGO_SETTINGS_MODULE": "settings.development",
        "CACHE_BACKEND": tier,
        "CACHE_DIR": str(tmp_path / "cache"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def run_worker(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    result = run_python("-m", "tests.filamenta.backends.worker", *args, env=env, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class SessionWorker:
    """A long-lived process answering session commands (worker.py sessions)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.filamenta.backends.worker", "sessions"],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> str:
        assert self.process.stdin
        assert self.process.stdout
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)
