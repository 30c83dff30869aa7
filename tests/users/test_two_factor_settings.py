"""STAFF_REQUIRE_2FA: on for every deployment, off on a laptop, and a typo stops start-up."""

import pytest

from tests.conftest import run_manage
from tests.settings.test_settings_modules import DEPLOYED, deployed_env

PRINT = "from django.conf import settings; print(settings.STAFF_REQUIRE_2FA)"


def required(env: dict[str, str]) -> str:
    result = run_manage("shell", "-c", PRINT, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("target", DEPLOYED)
def test_every_deployment_requires_a_second_factor_of_staff(clean_env, target):
    assert required(deployed_env(clean_env, target)) == "True"


def test_development_does_not_and_a_deployment_may_turn_it_off(clean_env):
    assert required(clean_env) == "False"
    assert required({**deployed_env(clean_env, "vps"), "STAFF_REQUIRE_2FA": "no"}) == "False"


def test_a_value_that_is_not_on_or_off_stops_start_up(clean_env):
    env = {**deployed_env(clean_env, "vps"), "STAFF_REQUIRE_2FA": "ture"}

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "STAFF_REQUIRE_2FA='ture'" in result.stderr
