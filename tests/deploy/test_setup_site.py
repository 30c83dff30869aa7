"""deploy/cpanel/setup_site.py: cPanel's "Execute python script" set-up."""

import secrets
import sqlite3
import subprocess
import sys

from devtools.local_servers import run_command, run_python


def run_setup(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_python("deploy/cpanel/setup_site.py", env=env, timeout=180)


def test_migrates_collects_and_checks(clean_env, tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        f"DATABASE_URL=sqlite:///{tmp_path}/site.sqlite3\nSTATIC_ROOT={tmp_path}/static\n"
    )
    result = run_setup({**clean_env, "FILAMENTA_ENV_FILE": str(env_file)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Settings: settings.cpanel" in result.stdout
    assert "Done." in result.stdout
    assert (tmp_path / "site.sqlite3").stat().st_size > 0
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_stops_with_the_reason_when_configuration_is_bad(clean_env, tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text("DJANGO_ALLOWED_HOSTS=example.com\n")  # no secret key
    result = run_setup({**clean_env, "FILAMENTA_ENV_FILE": str(env_file)})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stdout + result.stderr
    assert "Done." not in result.stdout


def test_creates_the_administrator_once_from_the_environment(clean_env, tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        f"DATABASE_URL=sqlite:///{tmp_path}/site.sqlite3\nSTATIC_ROOT={tmp_path}/static\n"
        "DJANGO_SUPERUSER_USERNAME=owner\nDJANGO_SUPERUSER_EMAIL=owner@example.com\n"
        f"DJANGO_SUPERUSER_PASSWORD={secrets.token_urlsafe(16)}\n"
    )
    env = {**clean_env, "FILAMENTA_ENV_FILE": str(env_file)}
    first, again = run_setup(env), run_setup(env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Superuser created successfully." in first.stdout
    with sqlite3.connect(tmp_path / "site.sqlite3") as db:
        flags = db.execute(
            "SELECT is_staff, is_superuser FROM users_user WHERE username = 'owner'"
        ).fetchall()
        history = db.execute("SELECT action, summary FROM siteadmin_auditentry").fetchall()
    assert flags == [(1, 1)]
    assert history == [("added", "user “owner”: Added.")]  # through user_create
    assert again.returncode == 0, again.stdout + again.stderr
    assert "owner exists already" in again.stdout


def test_creates_instance_private_on_default_paths(clean_env, tmp_path):
    # Shared hosting: the other accounts on the server must not read the database or the log.
    import stat
    from pathlib import Path

    env_file = tmp_path / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        f"STATIC_ROOT={tmp_path}/static\n"
    )
    instance = Path(clean_env["INSTANCE_DIR"])
    command = f"umask 022 && exec {sys.executable} deploy/cpanel/setup_site.py"
    result = run_command(
        ["sh", "-c", command], env={**clean_env, "FILAMENTA_ENV_FILE": str(env_file)}, timeout=180
    )

    assert result.returncode == 0, result.stdout + result.stderr
    # Traverse only, so Apache ("nobody") reaches instance/media by name; it lists nothing,
    # and everything else under it is 0600/0700.
    assert stat.S_IMODE(instance.stat().st_mode) == 0o711
    assert stat.S_IMODE((instance / "media").stat().st_mode) == 0o711
    public = Path(clean_env["CPANEL_PUBLIC_DIR"])
    assert (public / "media").resolve() == (instance / "media").resolve()
    htaccess = (instance / "media" / ".htaccess").read_text()
    assert 'Header always set X-Content-Type-Options "nosniff"' in htaccess
    assert 'Content-Disposition "attachment"' in htaccess
    for path in ("db.sqlite3", "logs/filamenta.log"):
        assert stat.S_IMODE((instance / path).stat().st_mode) == 0o600, path
    assert stat.S_IMODE((instance / "logs").stat().st_mode) == 0o700
    # What Apache or whitenoise serves stays readable.
    assert stat.S_IMODE((tmp_path / "static" / "staticfiles.json").stat().st_mode) == 0o644
