"""Which settings module runs, and where its variables come from."""

import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from filamenta.environment import (
    SETTINGS_BY_TARGET,
    read_env_file,
    settings_module_for,
    whole_number,
)


def test_explicit_settings_module_wins_over_target():
    chosen = settings_module_for(
        {"DJANGO_SETTINGS_MODULE": "settings.test", "DEPLOYMENT_TARGET": "cpanel"}
    )
    assert chosen == "settings.test"


@pytest.mark.parametrize(("target", "module"), sorted(SETTINGS_BY_TARGET.items()))
def test_each_target_picks_its_module(target, module):
    assert settings_module_for({"DEPLOYMENT_TARGET": target}) == module


def test_target_is_case_and_space_insensitive():
    assert settings_module_for({"DEPLOYMENT_TARGET": " VPS "}) == "settings.vps"


def test_nothing_set_means_development_on_base():
    assert settings_module_for({}) == "settings.development"


def test_unknown_target_names_variable_value_and_choices():
    with pytest.raises(ImproperlyConfigured) as error:
        settings_module_for({"DEPLOYMENT_TARGET": "heroku"})
    message = str(error.value)
    assert "DEPLOYMENT_TARGET='heroku'" in message
    for target in SETTINGS_BY_TARGET:
        assert target in message


def test_env_file_fills_gaps_but_real_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("FILAMENTA_T_FROM_FILE=file\nFILAMENTA_T_BOTH=file\n")
    monkeypatch.setenv("FILAMENTA_T_BOTH", "real")
    monkeypatch.delenv("FILAMENTA_T_FROM_FILE", raising=False)

    read_env_file(env_file)

    assert os.environ["FILAMENTA_T_FROM_FILE"] == "file"
    assert os.environ["FILAMENTA_T_BOTH"] == "real"
    monkeypatch.delenv("FILAMENTA_T_FROM_FILE")


def test_missing_env_file_leaves_the_environment_alone(tmp_path):
    before = dict(os.environ)
    read_env_file(tmp_path / "nowhere.env")
    assert dict(os.environ) == before


def test_whole_number_reads_the_default_and_the_variable(monkeypatch):
    monkeypatch.delenv("FILAMENTA_T_COUNT", raising=False)
    assert whole_number("FILAMENTA_T_COUNT", 7, minimum=1) == 7
    monkeypatch.setenv("FILAMENTA_T_COUNT", " 12 ")
    assert whole_number("FILAMENTA_T_COUNT", 7, minimum=1) == 12


@pytest.mark.parametrize("raw", ["twelve", "-3", "1.5", "0", "70000", "١٢"])
def test_whole_number_outside_its_range_names_variable_value_and_range(monkeypatch, raw):
    monkeypatch.setenv("FILAMENTA_T_PORT", raw)
    with pytest.raises(ImproperlyConfigured) as error:
        whole_number("FILAMENTA_T_PORT", 5432, minimum=1, maximum=65535)
    assert f"FILAMENTA_T_PORT={raw!r}" in str(error.value)
    assert "from 1 to 65535" in str(error.value)
