"""What the whole suite shares: its fixtures (tests/fixtures.py), clean child environments."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from devtools.local_servers import PROJECT_ROOT, is_listening, run_python
from filamenta.environment import documented_variables
from tests.services import services_required

# One list of fixtures for every directory, instead of a conftest.py re-importing them in each.
pytest_plugins = ["tests.fixtures"]

# What test modules import from here; PROJECT_ROOT is the children's working directory.
__all__ = ["PROJECT_ROOT", "PROJECT_VARIABLES", "run_manage"]

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
    # deploy/cpanel/setup_site.py links media/ there: never into the checkout's public/.
    environ["CPANEL_PUBLIC_DIR"] = str(tmp_path / "public")
    return environ


def run_manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a child process, as an operator would."""
    return run_python("manage.py", *args, env=env, timeout=timeout)
