"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from filamenta.environment import documented_variables
from tests.services import is_listening, services_required

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Subprocess tests start from an environment without the project's variables
# (all of .env.example) so that a developer's shell cannot change what they see.
PROJECT_VARIABLES = documented_variables()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a server database that is down: skip its tests locally, stop the run in CI."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        return
    parts = urlsplit(url)
    default_port = 3306 if parts.scheme.startswith("mysql") else 5432
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    if is_listening(host, port):
        return
    if services_required():
        pytest.exit(f"the database at {host}:{port} is down and CI requires it", returncode=1)
    skip = pytest.mark.skip(reason=f"no database server at {host}:{port}")
    for item in items:
        item.add_marker(skip)


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment for a child process: no project variables, no .env file."""
    environ = {k: v for k, v in os.environ.items() if k not in PROJECT_VARIABLES}
    environ["FILAMENTA_ENV_FILE"] = str(tmp_path / "absent.env")
    environ["INSTANCE_DIR"] = str(tmp_path / "instance")
    return environ


def run_python(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the project's Python with ``args`` in a child process, from the project root.

    A fresh interpreter is the only way to see what settings, entry points and
    start-up do with a given environment: Django configures itself once.
    """
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a child process, as an operator would."""
    return run_python("manage.py", *args, env=env, timeout=timeout)
