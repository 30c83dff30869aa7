"""What the whole suite shares: its fixtures (tests/fixtures.py), clean child environments."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any
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
    """Shared fixtures listed, transactional tests serialized; a database down: skip or stop."""
    config.stash[UNLISTED] = unlisted_shared_fixture_modules(items)
    unserialized = unserialized_transactional_tests(items)
    if unserialized:
        raise pytest.UsageError(
            "transactional tests must also roll back serialized "
            "(@pytest.mark.django_db(transaction=True, serialized_rollback=True)): "
            + ", ".join(unserialized)
        )
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


def unserialized_transactional_tests(items: list[pytest.Item]) -> list[str]:
    """Tests marked ``django_db(transaction=True)`` without ``serialized_rollback=True``.

    Why every one must be serialized: a serialized test's flush leaves the tables
    empty (it restores them at its own start), and a plain one's flush recreates
    the content types under new keys. Mixed in one worker, the next test of the
    other kind finds no content type for its foreign keys, or cannot load the
    saved ones back (unique app_label, model). All serialized, each test starts
    from the database as the migrations left it.
    """
    found = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None:
            continue
        transaction = marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
        if transaction and not marker.kwargs.get("serialized_rollback", False):
            found.append(item.nodeid)
    return found


# Modules whose tests share a module-scoped fixture of ours. The Makefile runs the suite
# in two pytest-xdist workers that take single tests as they come free; these modules go
# whole to one worker, so that tests/bench/test_run.py runs the benchmark once, not twice.
SHARED_FIXTURE_MODULES = frozenset(
    {
        "tests/bench/test_run.py",
        "tests/deploy/test_observatory_score.py",
        "tests/deploy/test_static_pages_apache.py",
    }
)

UNLISTED = pytest.StashKey[set[str]]()


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with SHARED_FIXTURE_MODULES as the groups.

    pytest-xdist's own loadgroup renames tests (``item._nodeid``), which pytest 9
    no longer reads: its groups are silently ignored. Each other test is a unit of
    its own, handed out in collection order, so each worker still runs its tests in
    pytest-django's order (transactional tests, which empty the database, last).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in SHARED_FIXTURE_MODULES else nodeid

    return SharedFixtureScheduling(config, log)


def unlisted_shared_fixture_modules(items: list[pytest.Item]) -> set[str]:
    """Modules with a module-, class- or package-scoped fixture of ours not in the list."""
    found = set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        # Our own fixtures only: pytest-django's class-scoped autouse one is in every test.
        scopes = {
            definitions[-1].scope
            for name in info.names_closure
            if (definitions := info.name2fixturedefs.get(name)) and definitions[-1].baseid
        }
        if scopes & {"module", "class", "package"}:
            found.add(item.nodeid.split("::", 1)[0])
    return found - SHARED_FIXTURE_MODULES


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The tests of a module missing from SHARED_FIXTURE_MODULES fail, saying so."""
    module = item.nodeid.split("::", 1)[0]
    if module in item.config.stash.get(UNLISTED, set()):
        pytest.fail(
            f"{module} has a module-scoped fixture: add it to SHARED_FIXTURE_MODULES"
            " in tests/conftest.py, else each xdist worker makes it again"
        )


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
