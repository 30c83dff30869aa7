"""The file tier when its store turns read-only, fills its disk or is damaged: misses, never a 500.

Real faults, not mocks: the store's directory is remounted read-only, or lives
on a 4 MB tmpfs that is then filled, or has garbage written over its SQLite
files while the process holds them open. Mounting needs root (CI runs as root);
elsewhere these tests skip, and in CI they fail instead.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import environ
import pytest
from django.test import Client, override_settings

from filamenta.backends.file_store import FILE_STORES, file_store_forget
from filamenta.backends.settings import backend_settings
from tests.fixtures import PASSWORD
from tests.services import services_required

pytestmark = pytest.mark.django_db


def mount(*args: str) -> None:
    result = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = f"mount {' '.join(args)} failed (needs root): {result.stderr.strip()}"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for point in reversed(made):
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


@pytest.fixture
def file_tier(
    tmp_path: Path, mounts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Path]]:
    """file_tier(tmpfs=False) -> CACHE_DIR, with the file tier's caches and sessions in use."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    overrides: list[override_settings] = []

    def start(*, tmpfs: bool = False) -> Path:
        if tmpfs:
            mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(cache_dir))
            mounts.append(cache_dir)
        monkeypatch.setenv("CACHE_DIR", str(cache_dir))
        backends = backend_settings(env=environ.Env(), instance_dir=tmp_path, requested="file")
        override = override_settings(
            BACKENDS=backends,
            CACHES=backends.caches,
            SESSION_ENGINE=backends.session_engine,
            SESSION_CACHE_ALIAS=backends.session_cache_alias,
        )
        override.enable()
        overrides.append(override)
        return cache_dir

    yield start
    for override in overrides:
        override.disable()


def read_only(cache_dir: Path, mounts: list[Path]) -> None:
    mount("--bind", str(cache_dir), str(cache_dir))
    mounts.append(cache_dir)
    mount("-o", "remount,bind,ro", str(cache_dir))
    # Files already open for writing stay writable; a worker started (or
    # recycled) from now on opens them afresh, and that is where it fails.
    for name in FILE_STORES:
        file_store_forget(str(cache_dir / name))


def fill(cache_dir: Path) -> None:
    with open(cache_dir / "filler", "wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass  # ENOSPC: the disk is full


def damage(cache_dir: Path) -> None:
    """32 KB of garbage over each file of the store: databases, write-ahead logs, indexes."""
    for path in cache_dir.rglob("*"):
        if path.is_file():
            with open(path, "r+b") as file:  # in place: open connections read it
                file.write(b"\x5a" * 32768)


def visit_everything(client: Client, slug: str, make_user) -> list[tuple[str, int]]:
    """Every kind of request the site serves from the caches, several times over."""
    statuses = []
    for _ in range(4):
        for url in ("/", "/articles/", f"/articles/{slug}/", "/accounts/login/", "/feed/"):
            statuses.append((url, client.get(url).status_code))
        wrong = client.post("/accounts/login/", {"username": "reader", "password": "wrong"})
        statuses.append(("login wrong", wrong.status_code))
    signed_in = Client()
    right = signed_in.post("/accounts/login/", {"username": "writer", "password": PASSWORD})
    statuses.append(("login right", right.status_code))
    statuses.append(("profile", signed_in.get("/accounts/profile/").status_code))
    return statuses


@pytest.mark.parametrize("fault", ["read-only", "full", "damaged"])
def test_a_sick_file_store_costs_misses_never_a_500(
    fault, file_tier, mounts, make_user, make_article
):
    cache_dir = file_tier(tmpfs=fault == "full")
    writer = make_user("writer")
    make_user("reader")
    article = make_article("Fault lines", author=writer)
    client = Client()
    before = visit_everything(client, article.slug, make_user)
    assert not [s for s in before if s[1] >= 500], before

    {"read-only": lambda: read_only(cache_dir, mounts), "full": lambda: fill(cache_dir),
     "damaged": lambda: damage(cache_dir)}[fault]()  # fmt: skip
    during = visit_everything(client, article.slug, make_user)

    assert [s for s in during if s[1] >= 500] == []
    assert dict(during)["login right"] == 302  # sessions went to the database
    health = client.get("/healthz").json()
    assert health["status"] == "degraded", health
    assert f"file store at {cache_dir}: open" in health["degraded"]


def test_the_sign_in_limit_holds_while_the_store_is_damaged(file_tier, make_user, settings):
    """The rate-limit store falls back to the database's counters, not to no limit."""
    settings.LOGIN_RATE_PER_ACCOUNT = "3/15m"
    cache_dir = file_tier()
    make_user("reader")
    client = Client()
    assert client.get("/").status_code == 200
    damage(cache_dir)
    statuses = [
        client.post("/accounts/login/", {"username": "reader", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
