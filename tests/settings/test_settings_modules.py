"""Each environment module imports, resolves the database it is given and passes its checks."""

import json
import secrets

import pytest

from tests.conftest import run_manage
from tests.services import FLEET_MEDIA, require_service

DEPLOYED = ("cpanel", "vps", "docker", "production")
DATABASE_FOR = {
    "cpanel": ("mysql://cp_user:pw@127.0.0.1:3306/cp_site", "django.db.backends.mysql", "cp_site"),
    "vps": ("postgres://app@127.0.0.1:5432/site", "django.db.backends.postgresql", "site"),
    "docker": ("postgres://app@db:5432/filamenta", "django.db.backends.postgresql", "filamenta"),
    "production": ("postgres://app@pg.internal/fleet", "django.db.backends.postgresql", "fleet"),
}
PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'target': s.DEPLOYMENT_TARGET, 'engine': s.DATABASES['default']['ENGINE'], "
    "'name': s.DATABASES['default']['NAME'], 'debug': s.DEBUG}))"
)


def deployed_env(clean_env: dict[str, str], target: str) -> dict[str, str]:
    """What an operator would set on that host."""
    redis = {}
    if target == "production":  # the fleet requires a Redis that answers at start-up
        require_service("Redis", "127.0.0.1", 6379)
        redis = {"REDIS_URL": "redis://127.0.0.1:6379/15", **FLEET_MEDIA}
    return {
        **clean_env,
        "DEPLOYMENT_TARGET": target,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "www.example.com,example.com",
        "DATABASE_URL": DATABASE_FOR[target][0],
        **redis,
    }


def settings_seen(env: dict[str, str]) -> dict:
    result = run_manage("shell", "-c", PRINT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_runs_on_sqlite_with_nothing_set(clean_env):
    seen = settings_seen(clean_env)
    assert seen == {
        "target": "development",
        "engine": "django.db.backends.sqlite3",
        "name": clean_env["INSTANCE_DIR"] + "/db.sqlite3",
        "debug": True,
    }


@pytest.mark.parametrize("target", DEPLOYED)
def test_deployed_module_resolves_the_database_it_is_given(clean_env, target):
    _, engine, name = DATABASE_FOR[target]
    seen = settings_seen(deployed_env(clean_env, target))
    assert seen == {"target": target, "engine": engine, "name": name, "debug": False}


@pytest.mark.parametrize("target", DEPLOYED)
def test_deploy_checks_are_clean(clean_env, target):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=deployed_env(clean_env, target)
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_tls_terminated_in_front_keeps_deploy_checks_clean(clean_env):
    env = {**deployed_env(clean_env, "cpanel"), "SECURE_SSL_REDIRECT": "false"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("target", DEPLOYED)
def test_deployed_module_refuses_to_start_without_a_secret_key(clean_env, target):
    env = deployed_env(clean_env, target)
    del env["DJANGO_SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("target", DEPLOYED)
def test_deployed_module_requires_allowed_hosts(clean_env, target):
    env = deployed_env(clean_env, target)
    del env["DJANGO_ALLOWED_HOSTS"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_dotenv_file_configures_the_target(clean_env, tmp_path):
    env_file = tmp_path / "site.env"
    secret = secrets.token_urlsafe(50)
    env_file.write_text(
        f"DEPLOYMENT_TARGET=vps\nDJANGO_SECRET_KEY={secret}\nDJANGO_ALLOWED_HOSTS=example.com\n"
        "DATABASE_URL=postgres://app@127.0.0.1/from_dotenv\n"
    )
    seen = settings_seen({**clean_env, "FILAMENTA_ENV_FILE": str(env_file)})
    assert (seen["target"], seen["name"]) == ("vps", "from_dotenv")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DEPLOYMENT_TARGET": "heroku"}, "DEPLOYMENT_TARGET='heroku'"),
        ({"DB_TYPE": "oracle", "DB_NAME": "x"}, "DB_TYPE='oracle'"),
        ({"DATABASE_URL": "postgres//missing-colon"}, "DATABASE_URL="),
        ({"DB_TYPE": "postgresql", "DB_NAME": "x", "DB_PORT": "five"}, "DB_PORT='five'"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD'"),
    ],
)
def test_bad_value_stops_start_up_with_a_message(clean_env, variables, expected):
    result = run_manage("check", env={**clean_env, **variables})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr


def test_a_fleet_without_a_shared_media_store_stops_naming_the_variable(clean_env):
    env = {**deployed_env(clean_env, "production")}
    del env["MEDIA_STORAGE_URL"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "MEDIA_STORAGE_URL is not set" in result.stderr


@pytest.mark.parametrize("target", DEPLOYED)
def test_a_malformed_media_storage_url_stops_every_host_naming_it(clean_env, target):
    env = {**deployed_env(clean_env, target), "MEDIA_STORAGE_URL": "s3://Not_A_Bucket"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "MEDIA_STORAGE_URL='Not_A_Bucket' is not valid: a bucket name" in result.stderr


def test_a_vps_moves_its_media_to_a_bucket_by_variables_alone(clean_env):
    url = "s3://k:s@site-media?endpoint=https://objects.example.net"
    env = {**deployed_env(clean_env, "vps"), "MEDIA_STORAGE_URL": url}
    script = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.STORAGES['default']['BACKEND'], s.MEDIA_URL, "
        "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))"
    )
    result = run_manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    backend, media_url, images = json.loads(result.stdout.strip().splitlines()[-1])
    assert backend == "filamenta.media_s3.MediaS3Storage"
    assert media_url == "https://objects.example.net/site-media/"
    assert images == ["'self'", "https://objects.example.net"]
