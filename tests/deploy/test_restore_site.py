"""deploy/cpanel/restore_site.py: restoring a backup from cPanel's "Execute python script"."""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
from pathlib import Path

import pytest

from devtools.local_servers import run_python
from tests.conftest import run_manage

CREATE = (
    "from apps.users.services import user_create; "
    "user_create(username='owner', email='owner@example.com', password='a-long-test-password-9')"
)


def site_env(clean_env: dict[str, str], folder: Path) -> dict[str, str]:
    """A cPanel site on its own SQLite file and instance folder."""
    folder.mkdir()
    env_file = folder / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        f"DATABASE_URL=sqlite:///{folder}/site.sqlite3\nSTATIC_ROOT={folder}/static\n"
    )
    return {
        **clean_env,
        "FILAMENTA_ENV_FILE": str(env_file),
        "INSTANCE_DIR": str(folder / "instance"),
        "DEPLOYMENT_TARGET": "cpanel",
    }


def manage(*args: str, env: dict[str, str]) -> str:
    result = run_manage(*args, env=env, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def restore(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python("deploy/cpanel/restore_site.py", env=env, timeout=180)


def usernames(folder: Path) -> list[str]:
    with sqlite3.connect(folder / "site.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT username FROM users_user ORDER BY username")]


@pytest.fixture
def backup(clean_env, tmp_path) -> Path:
    """A backup of a site with one account, as the operations page or cron makes it."""
    source = site_env(clean_env, tmp_path / "source")
    manage("migrate", "--no-input", env=source)
    manage("shell", "--no-imports", "-c", CREATE, env=source)
    archive = tmp_path / "site-20261202-031500Z.zip"
    manage("site_export", str(archive), env=source)
    return archive


def test_restores_the_one_archive_uploaded_and_moves_it_aside(clean_env, tmp_path, backup):
    target = site_env(clean_env, tmp_path / "target")
    uploads = Path(target["INSTANCE_DIR"]) / "restore"
    uploads.mkdir(parents=True)
    backup.rename(uploads / backup.name)

    result = restore(target)

    assert result.returncode == 0, result.stdout + result.stderr
    assert usernames(tmp_path / "target") == ["owner"]
    assert (uploads / "done" / backup.name).exists()
    assert not (uploads / backup.name).exists()
    # Pressing Run again restores nothing twice.
    again = restore(target)
    assert again.returncode != 0
    assert "is empty" in again.stdout


def test_a_site_with_content_is_refused_unless_replace_is_asked(clean_env, tmp_path, backup):
    target = site_env(clean_env, tmp_path / "target")
    manage("migrate", "--no-input", env=target)
    manage("shell", "--no-imports", "-c", CREATE.replace("owner", "other"), env=target)

    refused = restore({**target, "RESTORE_ARCHIVE": str(backup)})

    assert refused.returncode != 0
    assert "RESTORE_REPLACE=yes" in refused.stdout
    assert usernames(tmp_path / "target") == ["other"]

    replaced = restore({**target, "RESTORE_ARCHIVE": str(backup), "RESTORE_REPLACE": "yes"})
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert usernames(tmp_path / "target") == ["owner"]
    assert backup.exists()  # a file named by RESTORE_ARCHIVE stays where it is


def test_says_what_to_do_when_there_is_nothing_or_too_much(clean_env, tmp_path):
    target = site_env(clean_env, tmp_path / "target")
    nothing = restore(target)
    assert nothing.returncode != 0
    assert "upload the backup into it" in nothing.stdout

    uploads = Path(target["INSTANCE_DIR"]) / "restore"
    uploads.mkdir(parents=True)
    (uploads / "a.zip").write_bytes(b"x")
    (uploads / "b.zip").write_bytes(b"y")
    two = restore(target)
    assert two.returncode != 0
    assert "holds 2 files" in two.stdout


def test_a_file_that_is_not_a_backup_is_refused_and_the_site_left_alone(clean_env, tmp_path):
    target = site_env(clean_env, tmp_path / "target")
    bogus = tmp_path / "holiday.jpg"
    bogus.write_bytes(b"\xff\xd8 not an archive")

    result = restore({**target, "RESTORE_ARCHIVE": str(bogus)})

    assert result.returncode != 0
    assert "FAILED at site_import" in result.stdout
    assert usernames(tmp_path / "target") == []
