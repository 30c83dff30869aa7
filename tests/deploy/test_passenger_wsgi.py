"""passenger_wsgi.py: what Phusion Passenger imports on cPanel."""

import json
import secrets

import pytest

from devtools.local_servers import run_python
from tests.conftest import PROJECT_ROOT

SHOW = (
    "import json, sys; import passenger_wsgi as p; from django.conf import settings as s; "
    "from django.db import connection; "
    "print(json.dumps({'module': s.SETTINGS_MODULE, 'static_url': s.STATIC_URL, "
    "'callable': callable(p.application), 'driver': connection.Database.__name__}))"
)


def load(env: dict[str, str], prelude: str = "") -> dict:
    result = run_python("-c", prelude + SHOW, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def cpanel_env(clean_env, tmp_path):
    """The .env a cPanel user writes: no DEPLOYMENT_TARGET, MySQL fields, a sub-path."""
    env_file = tmp_path / "site.env"
    env_file.write_text(
        f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        "DB_TYPE=mysql\nDB_NAME=cp_site\nDB_USER=cp_user\nDB_HOST=127.0.0.1\n"
        "APPLICATION_ROOT=/filamenta\n"
    )
    return {**clean_env, "FILAMENTA_ENV_FILE": str(env_file)}


def test_defaults_to_cpanel_settings_and_exposes_application(cpanel_env):
    seen = load(cpanel_env)
    assert seen["module"] == "settings.cpanel"
    assert seen["callable"] is True


def test_static_url_keeps_the_mount_point_before_any_request(cpanel_env):
    # whitenoise reads STATIC_URL while the app is built; Django caches what it got.
    assert load(cpanel_env)["static_url"] == "/filamenta/static/"


def test_passenger_base_uri_is_the_mount_point_without_application_root(cpanel_env, tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text(env_file.read_text().replace("APPLICATION_ROOT=/filamenta\n", ""))
    seen = load({**cpanel_env, "PASSENGER_BASE_URI": "/site"})
    assert seen["static_url"] == "/site/static/"


def test_uses_pymysql_when_mysqlclient_is_missing(cpanel_env):
    # sys.modules[name] = None is how Python says "this module cannot be imported".
    seen = load(cpanel_env, prelude="import sys; sys.modules['MySQLdb'] = None; ")
    assert seen["driver"] == "pymysql"


def test_a_target_in_dotenv_wins_over_the_cpanel_default(cpanel_env, tmp_path):
    env_file = tmp_path / "site.env"
    env_file.write_text(env_file.read_text() + "DEPLOYMENT_TARGET=development\n")
    assert load(cpanel_env)["module"] == "settings.development"


def test_never_switches_interpreter():
    source = (PROJECT_ROOT / "passenger_wsgi.py").read_text()
    assert "execl" not in source
    assert "INTERP" not in source
