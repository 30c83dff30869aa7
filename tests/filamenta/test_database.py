"""DATABASE_URL, DB_* fields and the SQLite default, and every bad value they can hold."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from filamenta.database import MYSQL, POSTGRESQL, SQLITE, database_from_env, redact_url


@pytest.fixture
def database(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "DB_TYPE", "DB_NAME", "DB_USER", "DB_PASSWORD", "DB_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DB_PORT", raising=False)
    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)
    monkeypatch.delenv("DB_CONNECT_TIMEOUT", raising=False)

    def build(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return database_from_env(environ.Env(), instance_dir=tmp_path / "instance")

    return build


def test_default_is_sqlite_file_under_instance_created_on_first_use(database, tmp_path):
    config = database()
    assert config["ENGINE"] == SQLITE
    assert config["NAME"] == str(tmp_path / "instance" / "db.sqlite3")
    assert (tmp_path / "instance").is_dir()
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_postgresql_url_gets_persistent_checked_connections(database):
    config = database(DATABASE_URL="postgres://app:secret@db.example:5433/site")
    assert config["ENGINE"] == POSTGRESQL
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.example", 5433, "site")
    assert config["CONN_MAX_AGE"] == 60
    assert config["CONN_HEALTH_CHECKS"] is True


def test_mysql_url_gets_utf8mb4_and_strict_mode(database):
    config = database(DATABASE_URL="mysql://app:secret@127.0.0.1:3306/site")
    assert config["ENGINE"] == MYSQL
    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in config["OPTIONS"]["init_command"]


def test_url_wins_over_fields(database):
    config = database(DATABASE_URL="postgres://u@h/from_url", DB_TYPE="mysql", DB_NAME="fields")
    assert config["NAME"] == "from_url"


def test_fields_build_a_mysql_database(database):
    config = database(
        DB_TYPE="MySQL", DB_NAME="cp_site", DB_USER="cp_user", DB_PASSWORD="pw", DB_PORT="3307"
    )
    assert config["ENGINE"] == MYSQL
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("cp_site", "cp_user", "pw")
    assert (config["HOST"], config["PORT"]) == ("127.0.0.1", "3307")


def test_conn_max_age_is_configurable(database):
    config = database(DATABASE_URL="postgres://u@h/site", DB_CONN_MAX_AGE="0")
    assert config["CONN_MAX_AGE"] == 0


def test_unknown_db_type_names_variable_value_and_choices(database):
    with pytest.raises(ImproperlyConfigured) as error:
        database(DB_TYPE="oracle", DB_NAME="x")
    assert "DB_TYPE='oracle'" in str(error.value)
    assert "sqlite, mysql, postgresql" in str(error.value)


def test_non_integer_port_names_variable_and_value(database):
    with pytest.raises(ImproperlyConfigured) as error:
        database(DB_TYPE="postgresql", DB_NAME="x", DB_PORT="54x2")
    assert "DB_PORT='54x2'" in str(error.value)
    assert "whole number" in str(error.value)


@pytest.mark.parametrize(
    "url",
    ["not a url", "postgres://u@h:notaport/db", "redis://localhost:6379/0", "foo://bar"],
)
def test_malformed_url_names_the_variable_and_the_accepted_forms(database, url):
    with pytest.raises(ImproperlyConfigured) as error:
        database(DATABASE_URL=url)
    assert "DATABASE_URL=" in str(error.value)
    assert "postgres://user:password@host:5432/name" in str(error.value)


def test_unsupported_engine_is_refused(database):
    with pytest.raises(ImproperlyConfigured, match="does not support"):
        database(DATABASE_URL="oracle://u:p@h:1521/db")


def test_server_database_without_a_name_is_refused(database):
    with pytest.raises(ImproperlyConfigured, match="DB_NAME"):
        database(DB_TYPE="postgresql")


def test_errors_never_show_the_password(database):
    with pytest.raises(ImproperlyConfigured) as error:
        database(DATABASE_URL="oracle://user:hunter2@h:1521/db")
    assert "hunter2" not in str(error.value)
    assert redact_url("postgres://u:hunter2@h/db") == "postgres://u:***@h/db"


SERVER_DATABASES = {
    "postgres URL": {"DATABASE_URL": "postgres://u@h/site"},
    "mysql URL": {"DATABASE_URL": "mysql://u@h/site"},
    "DB_TYPE=postgresql": {"DB_TYPE": "postgresql", "DB_NAME": "site"},
    "DB_TYPE=mysql": {"DB_TYPE": "mysql", "DB_NAME": "site"},
}


@pytest.mark.parametrize("variables", SERVER_DATABASES.values(), ids=SERVER_DATABASES.keys())
def test_server_databases_give_up_connecting_after_five_seconds(database, variables):
    # psycopg and the MySQL drivers wait minutes by default: longer than any
    # worker timeout, so a silent server turned every request into a 500.
    assert database(**variables)["OPTIONS"]["connect_timeout"] == 5


@pytest.mark.parametrize("variables", SERVER_DATABASES.values(), ids=SERVER_DATABASES.keys())
def test_connect_timeout_is_configurable(database, variables):
    assert database(DB_CONNECT_TIMEOUT="2", **variables)["OPTIONS"]["connect_timeout"] == 2


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "five", ""])
@pytest.mark.parametrize("variables", SERVER_DATABASES.values(), ids=SERVER_DATABASES.keys())
def test_bad_connect_timeout_names_the_variable(database, variables, value):
    with pytest.raises(ImproperlyConfigured) as error:
        database(DB_CONNECT_TIMEOUT=value, **variables)
    assert f"DB_CONNECT_TIMEOUT={value!r}" in str(error.value)
    assert "1 or more" in str(error.value)


def test_sqlite_has_no_connect_timeout(database):
    # sqlite3's own "timeout" (waiting for a lock) is a different thing, kept at 20 s.
    config = database(DB_CONNECT_TIMEOUT="2")
    assert "connect_timeout" not in config["OPTIONS"]
    assert config["OPTIONS"]["timeout"] == 20
