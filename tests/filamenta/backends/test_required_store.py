"""A store the operator named (CACHE_BACKEND=redis or file) must answer at deploy time.

A running server keeps serving when it does not; the commands run when
deploying fail loudly instead: check, migrate, ``backends --require``.
"""

from __future__ import annotations

import json

import pytest

from devtools.local_servers import free_port
from tests.conftest import run_manage
from tests.filamenta.backends.helpers import tier_env


@pytest.fixture
def dead_redis_env(clean_env, tmp_path) -> dict[str, str]:
    return tier_env(clean_env, tmp_path, "redis", f"redis://127.0.0.1:{free_port()}/0")


@pytest.mark.parametrize("command", [("check",), ("check", "--deploy"), ("migrate", "--no-input")])
def test_deploy_commands_fail_when_the_named_redis_is_down(dead_redis_env, command):
    result = run_manage(*command, env=dead_redis_env)
    assert result.returncode != 0
    assert "filamenta.E001" in result.stderr
    assert "CACHE_BACKEND=redis but Redis at redis://127.0.0.1:" in result.stderr
    assert "Connection refused" in result.stderr


def test_backends_require_fails_and_says_why(dead_redis_env):
    result = run_manage("backends", "--require", "--json", env=dead_redis_env)
    assert result.returncode == 1
    assert "Required store down: CACHE_BACKEND=redis but Redis at" in result.stderr
    status = json.loads(result.stdout)
    assert status["tier"] == "redis"
    assert status["probe"]["ok"] is False


def test_backends_without_require_answers_during_the_outage(dead_redis_env):
    result = run_manage("backends", env=dead_redis_env)
    assert result.returncode == 0, result.stderr
    assert "Tier:         redis" in result.stdout
    assert "none has reported on this host" in result.stdout


def test_with_auto_a_store_that_is_down_is_no_deploy_error(dead_redis_env):
    env = {**dead_redis_env, "CACHE_BACKEND": "auto"}
    for command in (("check",), ("backends", "--require")):
        result = run_manage(*command, env=env)
        assert result.returncode == 0, result.stderr


@pytest.mark.redis
def test_a_named_redis_that_answers_passes(redis_server, clean_env, tmp_path):
    env = tier_env(clean_env, tmp_path, "redis", redis_server.url)
    result = run_manage("backends", "--require", env=env)
    assert result.returncode == 0, result.stderr
    assert "Probe now:    answers: Redis at" in result.stdout
