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


def test_writes_the_static_page_rules_and_keeps_the_operators_lines(clean_env, tmp_path):
    import stat
    from pathlib import Path

    public = Path(clean_env["CPANEL_PUBLIC_DIR"])
    public.mkdir(parents=True)
    (public / ".htaccess").write_text("# the operator's own line\n")
    env_file = tmp_path / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        f"DATABASE_URL=sqlite:///{tmp_path}/site.sqlite3\nSTATIC_ROOT={tmp_path}/static\n"
        "APPLICATION_ROOT=/filamenta\n"
    )
    env = {**clean_env, "FILAMENTA_ENV_FILE": str(env_file)}
    first, again = run_setup(env), run_setup(env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr

    rules = (public / ".htaccess").read_text()
    assert rules.count("BEGIN Filamenta static pages") == 1  # replaced, not added again
    assert rules.endswith("# the operator's own line\n")
    for line in (
        "RewriteEngine On",
        "RewriteBase /filamenta/",
        'RewriteCond %{QUERY_STRING} !="" [OR]',
        "RewriteCond %{REQUEST_METHOD} !^(GET|HEAD)$ [OR]",
        "RewriteCond %{HTTP_COOKIE} (^|;)\\s*(__Host-sessionid|messages|sessionid)=",
        "RewriteRule ^ - [END]",
        "RewriteCond %{HTTP_COOKIE} (^|;)\\s*django_language=([^;]*)",
        "RewriteCond %{HTTP:Accept-Language} ^\\s*(en|fr)(-[A-Za-z0-9]+)*\\s*(,|$)",
        'RewriteCond %{HTTP:Accept-Language} =""',
        "RewriteCond %{ENV:FILAMENTA_LANG} ^(en|fr)$",
        "RewriteRule ^ - [E=FILAMENTA_LANG:en]",
        f'RewriteCond "{public.resolve()}/_pages/%{{ENV:FILAMENTA_LANG}}/$1index.html" -f',
        "RewriteRule ^((?:[^/]+/)*)$ _pages/%{ENV:FILAMENTA_LANG}/$1index.html [END]",
        "RewriteRule ^_pages(/|$) - [R=404,L]",
    ):
        assert line in rules.splitlines(), line

    pages = public / "_pages"
    assert stat.S_IMODE(pages.stat().st_mode) == 0o711
    headers = (pages / ".htaccess").read_text()
    assert stat.S_IMODE((pages / ".htaccess").stat().st_mode) == 0o644
    assert "Header set X-Static-Page 1" in headers
    assert "EnableMMAP off" in headers.splitlines()
    assert 'Header set Vary "Accept-Language, Cookie"' in headers
    assert 'Header set Cache-Control "max-age=0"' in headers
    # Django's own values, asked of the site: the CSP as settings.hardened makes it.
    csp = next(line for line in headers.splitlines() if "Content-Security-Policy" in line)
    assert "Header always set Content-Security-Policy" in csp
    assert "default-src 'none'" in csp
    assert "Header always set Permissions-Policy" in headers
    assert 'Header always set X-Frame-Options "DENY"' in headers
    assert 'Header always set Strict-Transport-Security "max-age=31536000' in headers
    assert "nonce-" not in headers


def test_no_rules_when_static_pages_are_off(clean_env, tmp_path):
    from pathlib import Path

    env_file = tmp_path / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        f"DATABASE_URL=sqlite:///{tmp_path}/site.sqlite3\nSTATIC_ROOT={tmp_path}/static\n"
        "STATIC_PAGES_DIR=\n"
    )
    result = run_setup({**clean_env, "FILAMENTA_ENV_FILE": str(env_file)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "STATIC_PAGES_DIR is empty" in result.stdout
    htaccess = Path(clean_env["CPANEL_PUBLIC_DIR"]) / ".htaccess"
    assert not htaccess.exists() or "RewriteEngine" not in htaccess.read_text()
