"""What the site writes under instance/ is its own: folders 0700, files 0600, from every entry.

On a shared cPanel server the review found instance/ 0755 and db.sqlite3,
logs/filamenta.log and file-mail messages 0644: other accounts could read
password hashes, sessions and reset links. Each entry point starts a child
process here from a umask of 022 (the usual default), writes the database,
the log, a mail and the file stores, and reports the mode of everything under
instance/.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import stat
import sys
from pathlib import Path

import pytest

from devtools.local_servers import PROJECT_ROOT, run_command

DEPLOY = PROJECT_ROOT / "deploy"

# Writes what a running site writes, then prints every mode under INSTANCE_DIR.
WRITE_AND_REPORT = """
import json, logging, os
from django.conf import settings
from django.core.cache import caches
from django.core.mail import send_mail
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS probe (x integer)")
    cursor.execute("INSERT INTO probe VALUES (1)")
logging.getLogger("filamenta.test").warning("a line for the log file")
send_mail("Reset your password", "a link", "site@example.com", ["sam@example.com"])
for alias in ("default", "ratelimit"):
    caches[alias].set("probe", 1)
top = os.environ["INSTANCE_DIR"]
modes = {}
for folder, dirs, files in os.walk(top):
    for name in [*dirs, *files]:
        path = os.path.join(folder, name)
        modes[os.path.relpath(path, top)] = oct(os.lstat(path).st_mode & 0o7777)
modes["."] = oct(os.stat(top).st_mode & 0o7777)
print("MODES " + json.dumps(modes))
"""

ENTRY_POINTS = {
    "manage.py": ["manage.py", "shell", "-c", WRITE_AND_REPORT],
    "filamenta.wsgi": ["-c", "import filamenta.wsgi\n" + WRITE_AND_REPORT],
    "filamenta.asgi": ["-c", "import filamenta.asgi\n" + WRITE_AND_REPORT],
    "passenger_wsgi.py": ["-c", "import passenger_wsgi\n" + WRITE_AND_REPORT],
}


def site_env(clean_env: dict[str, str]) -> dict[str, str]:
    """A cPanel site on default paths: SQLite, file tier, log and file mail all in instance/."""
    instance = Path(clean_env["INSTANCE_DIR"])
    return {
        **clean_env,
        "DEPLOYMENT_TARGET": "cpanel",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "EMAIL_URL": f"filemail://{instance / 'mail'}",
        "CACHE_BACKEND": "file",
    }


def run_from_umask_022(args: list[str], env: dict[str, str]):
    command = " ".join(shlex.quote(a) for a in [sys.executable, *args])
    return run_command(["sh", "-c", f"umask 022 && exec {command}"], env=env, timeout=120)


def reported_modes(result) -> dict[str, int]:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("MODES "))
    return {path: int(mode, 8) for path, mode in json.loads(line[6:]).items()}


def assert_private(modes: dict[str, int], instance: Path) -> None:
    wrong = {
        path: oct(mode)
        for path, mode in modes.items()
        if mode != (0o700 if (instance / path).is_dir() else 0o600)
    }
    assert not wrong, wrong


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_every_entry_point_writes_instance_privately(clean_env, entry):
    env = site_env(clean_env)
    instance = Path(env["INSTANCE_DIR"])

    modes = reported_modes(run_from_umask_022(ENTRY_POINTS[entry], env))

    # What the review found readable, each there to be checked.
    for written in ("db.sqlite3", "logs/filamenta.log", "mail", "cache/default"):
        assert written in modes, sorted(modes)
    assert any(path.startswith("mail/") for path in modes), sorted(modes)
    assert_private(modes, instance)


def test_what_exists_already_is_tightened_but_links_and_outside_files_are_not(clean_env, tmp_path):
    env = site_env(clean_env)
    instance = Path(env["INSTANCE_DIR"])
    (instance / "logs").mkdir(parents=True, mode=0o755)
    instance.chmod(0o755)
    (instance / "logs").chmod(0o755)
    old_log = instance / "logs" / "filamenta.log.1"
    old_log.write_text("rotated before the fix\n")
    old_log.chmod(0o644)
    outside = tmp_path / "public"
    outside.mkdir(mode=0o755)
    (outside / "shared.txt").write_text("not the site's to hide\n")
    (outside / "shared.txt").chmod(0o644)
    outside.chmod(0o755)
    (instance / "link-to-file").symlink_to(outside / "shared.txt")
    (instance / "link-to-folder").symlink_to(outside)

    modes = reported_modes(run_from_umask_022(ENTRY_POINTS["filamenta.wsgi"], env))

    assert stat.S_IMODE(old_log.stat().st_mode) == 0o600
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    assert stat.S_IMODE((instance / "logs").stat().st_mode) == 0o700
    # Links are never followed: what they point at keeps its mode.
    assert stat.S_IMODE((outside / "shared.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE(outside.stat().st_mode) == 0o755
    assert_private({p: m for p, m in modes.items() if not p.startswith("link-to-")}, instance)


def test_a_pre_existing_world_readable_database_is_fixed_at_start_up(clean_env):
    env = site_env(clean_env)
    instance = Path(env["INSTANCE_DIR"])
    instance.mkdir(mode=0o755)
    instance.chmod(0o755)
    database = instance / "db.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)

    result = run_from_umask_022(["manage.py", "check"], env)

    assert result.returncode == 0, result.stderr[-2000:]

    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700


def test_gunicorn_sets_the_umask_in_its_master(clean_env):
    show = (
        "import os, runpy; runpy.run_path('deploy/vps/gunicorn.conf.py'); print(oct(os.umask(0)))"
    )

    result = run_from_umask_022(["-c", show], clean_env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0o77"


def test_the_systemd_unit_and_the_docker_entrypoint_set_the_umask():
    unit = (DEPLOY / "vps" / "filamenta.service").read_text()
    entrypoint = (DEPLOY / "docker" / "entrypoint.sh").read_text().splitlines()
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()

    assert "\nUMask=0077\n" in unit
    first_python = next(n for n, line in enumerate(entrypoint) if line.startswith("python "))
    assert "umask 077" in entrypoint[:first_python]
    # The instance volume starts with the image folder's mode.
    assert "chmod 0700 /app/instance" in dockerfile


def test_collected_static_files_stay_readable_by_the_web_server(clean_env, tmp_path):
    # nginx (another user) serves STATIC_ROOT: the umask must not hide it.
    env = {**site_env(clean_env), "STATIC_ROOT": str(tmp_path / "static")}

    result = run_from_umask_022(["manage.py", "collectstatic", "--no-input", "-v0"], env)

    assert result.returncode == 0, result.stderr[-2000:]
    wrong = {}
    for folder, dirs, files in os.walk(tmp_path / "static"):
        for name in dirs:
            mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
            if mode != 0o755:
                wrong[name] = oct(mode)
        for name in files:
            mode = stat.S_IMODE(os.stat(os.path.join(folder, name)).st_mode)
            if mode != 0o644:
                wrong[name] = oct(mode)
    assert stat.S_IMODE((tmp_path / "static").stat().st_mode) == 0o755
    # whitenoise writes the compressed copies itself, outside Django's storage.
    assert any(name.endswith(".gz") for _, _, files in os.walk(tmp_path) for name in files)
    assert not wrong, wrong
