"""A round trip on each vendor pair: export from the suite's database, import into each vendor.

The source is the suite's own database (SQLite, PostgreSQL or MariaDB, as
the run chooses, so CI's three runs cover all nine pairs); the target is a
fresh database of each vendor, migrated and loaded by ``manage.py`` in
child processes as an operator would, then read back by archive_probe.py.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from apps.siteadmin.site_archive import read_manifest, site_export
from devtools.local_servers import is_listening, run_python
from tests.conftest import run_manage
from tests.services import services_required

from .archive_helpers import fill_site
from .archive_probe import site_facts

pytestmark = [pytest.mark.database, pytest.mark.django_db]

SERVERS = {
    "postgresql": os.environ.get("TEST_POSTGRESQL_URL", "postgres://root@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/test"),
}


def _server_database(vendor: str, name: str) -> Iterator[str]:
    """A database of its own on the vendor's server, dropped afterwards; its URL."""
    parts = urlsplit(SERVERS[vendor])
    host, port = (
        parts.hostname or "127.0.0.1",
        parts.port or (5432 if vendor != "mariadb" else 3306),
    )
    if not is_listening(host, port):
        message = f"no {vendor} server at {host}:{port}"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    if vendor == "postgresql":
        import psycopg

        admin = psycopg.connect(
            SERVERS[vendor].replace("postgres://", "postgresql://", 1), autocommit=True
        )
        create, drop = f'CREATE DATABASE "{name}"', f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    else:
        import MySQLdb

        admin = MySQLdb.connect(
            host=host, port=port, user=parts.username or "root", password=parts.password or ""
        )
        create = f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        drop = f"DROP DATABASE IF EXISTS `{name}`"
    try:
        admin.cursor().execute(create)
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        admin.cursor().execute(drop)
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def target(request: pytest.FixtureRequest, clean_env: dict, tmp_path: Path) -> Iterator[dict]:
    """The environment of a site on a fresh, migrated database of one vendor."""
    vendor = request.param
    name = f"test_move_{uuid.uuid4().hex[:10]}"
    if vendor == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'target.sqlite3'}"])
    else:
        urls = _server_database(vendor, name)
    url = next(urls)
    env = {
        **clean_env,
        "DJANGO_SETTINGS_MODULE": "settings.development",
        "DATABASE_URL": url,
        "CACHE_BACKEND": "memory",
        "MEDIA_ROOT": str(tmp_path / "target-media"),
    }
    migrated = run_manage("migrate", "--no-input", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    yield env
    next(urls, None)  # drops the server database


@pytest.fixture
def source_archive(settings: Any, tmp_path: Path) -> tuple[Path, dict]:
    # Hashes the target's settings accept: the suite's own MD5 is for speed only.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "source-media")
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    fill_site()
    path = tmp_path / "site.zip"
    site_export(path=path)
    return path, json.loads(json.dumps(site_facts()))


def test_a_site_moves_to_each_vendor_whole(source_archive, target):
    archive, source = source_archive

    imported = run_manage("site_import", str(archive), env=target, timeout=300)
    assert imported.returncode == 0, imported.stderr
    assert "<- differs" not in imported.stdout
    probe = run_python(
        "-m", "tests.siteadmin.archive_probe", "--after-import", env=target, timeout=120
    )
    assert probe.returncode == 0, probe.stderr
    moved = json.loads(probe.stdout.splitlines()[-1])

    assert read_manifest(path=archive).source_vendor == source["vendor"]
    assert moved.pop("new_user_after_imported") is True
    for fact in source:
        if fact != "vendor":
            assert moved[fact] == source[fact], fact
    assert moved["signs_in"] is True
    assert moved["history_resolves"] is True


def test_an_import_into_a_site_with_content_changes_nothing(source_archive, target):
    archive, _source = source_archive
    first = run_manage("site_import", str(archive), env=target, timeout=300)
    assert first.returncode == 0, first.stderr
    before = run_python("-m", "tests.siteadmin.archive_probe", env=target, timeout=120)

    again = run_manage("site_import", str(archive), env=target, timeout=300)

    assert again.returncode != 0
    assert "already has content" in again.stderr
    assert "--replace" in again.stderr
    after = run_python("-m", "tests.siteadmin.archive_probe", env=target, timeout=120)
    assert json.loads(after.stdout.splitlines()[-1]) == json.loads(before.stdout.splitlines()[-1])


def _site(clean_env: dict, folder: Path, **variables: str) -> dict:
    env = {
        **clean_env,
        "DJANGO_SETTINGS_MODULE": "settings.development",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CACHE_BACKEND": "memory",
        "MEDIA_ROOT": str(folder / "media"),
        **variables,
    }
    folder.mkdir()
    migrated = run_manage("migrate", "--no-input", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _facts(env: dict) -> dict:
    probe = run_python("-m", "tests.siteadmin.archive_probe", env=env, timeout=120)
    assert probe.returncode == 0, probe.stderr
    return json.loads(probe.stdout.splitlines()[-1])


def test_media_move_into_a_bucket_and_out_of_it(source_archive, clean_env, tmp_path, seaweed):
    """Filesystem -> S3 (SeaweedFS) -> filesystem: every file keeps its bytes both ways."""
    archive, source = source_archive
    bucket = _site(
        clean_env,
        tmp_path / "fleet",
        MEDIA_STORAGE_URL=seaweed.url("media", f"move{uuid.uuid4().hex[:6]}"),
    )
    into = run_manage("site_import", str(archive), env=bucket, timeout=300)
    assert into.returncode == 0, into.stderr
    assert _facts(bucket)["media"] == source["media"]

    again = tmp_path / "from-bucket.zip"
    out = run_manage("site_export", str(again), env=bucket, timeout=300)
    assert out.returncode == 0, out.stderr
    disk = _site(clean_env, tmp_path / "back")
    back = run_manage("site_import", str(again), env=disk, timeout=300)
    assert back.returncode == 0, back.stderr

    moved = _facts(disk)
    assert moved["media"] == source["media"]
    assert moved["renditions"] == source["renditions"]
    assert moved["counts"] == source["counts"]
