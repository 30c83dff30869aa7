"""EMAIL_URL and the rate variables: good values become settings, bad ones stop start-up."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.users.settings_from_env import email_settings_from_env, rate_from_env
from tests.conftest import run_manage


def env_with(monkeypatch, **variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return environ.Env()


def test_no_email_url_prints_mail_to_the_console(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)

    config = email_settings_from_env(environ.Env())

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_with_starttls(monkeypatch):
    env = env_with(monkeypatch, EMAIL_URL="smtp+tls://mailer:s3cret@mail.example.com:587")

    config = email_settings_from_env(env)

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert config["EMAIL_HOST"] == "mail.example.com"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_USER"] == "mailer"
    assert config["EMAIL_HOST_PASSWORD"] == "s3cret"
    assert config["EMAIL_USE_TLS"] is True


def test_smtp_without_credentials_leaves_django_defaults(monkeypatch):
    config = email_settings_from_env(env_with(monkeypatch, EMAIL_URL="smtp://localhost"))

    assert "EMAIL_HOST_USER" not in config
    assert "EMAIL_PORT" not in config


def test_file_backend_keeps_an_absolute_folder(monkeypatch):
    config = email_settings_from_env(env_with(monkeypatch, EMAIL_URL="filemail:///srv/mail"))

    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == "/srv/mail"


@pytest.mark.parametrize(
    "url", ["gopher://x", "smtp", "filemail://", "mailto:someone@example.com", "smtp://h:port"]
)
def test_a_bad_email_url_names_the_variable_and_the_choices(monkeypatch, url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL") as raised:
        email_settings_from_env(env_with(monkeypatch, EMAIL_URL=url))
    assert "smtp" in str(raised.value)


def test_a_bad_email_url_does_not_echo_the_password(monkeypatch):
    with pytest.raises(ImproperlyConfigured) as raised:
        email_settings_from_env(env_with(monkeypatch, EMAIL_URL="smtpx://u:topsecret@h"))
    assert "topsecret" not in str(raised.value)


@pytest.mark.parametrize("rate", ["5/m", "10/15m", "100/h", "1000/d", "3/30s"])
def test_good_rates(monkeypatch, rate):
    env = env_with(monkeypatch, LOGIN_RATE_PER_IP=rate)
    assert rate_from_env(env, "LOGIN_RATE_PER_IP", default="1/m") == rate


@pytest.mark.parametrize("rate", ["5", "five/m", "0/m", "5/w", "5/m/", "-1/m", "5 per minute"])
def test_bad_rates_name_the_variable(monkeypatch, rate):
    env = env_with(monkeypatch, LOGIN_RATE_PER_IP=rate)
    with pytest.raises(ImproperlyConfigured, match="LOGIN_RATE_PER_IP") as raised:
        rate_from_env(env, "LOGIN_RATE_PER_IP", default="1/m")
    assert repr(rate) in str(raised.value)


def test_start_up_stops_on_a_bad_email_url(clean_env):
    clean_env["EMAIL_URL"] = "carrier-pigeon://coop"

    result = run_manage("check", env=clean_env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_URL='carrier-pigeon://coop'" in result.stderr
