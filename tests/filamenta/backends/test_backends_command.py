"""``manage.py backends --json``: the same shape on every tier."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_manage
from tests.filamenta.backends.helpers import tier_env

KEYS = {
    "tier",
    "reason",
    "store",
    "state",
    "workers",
    "cache_backend",
    "session_engine",
    "ratelimit_backend",
    "redis",
    "media",
    "front_cache",
}


@pytest.mark.parametrize("tier", ["redis", "file", "memory"])
def test_json_shape(tier, clean_env, tmp_path, request):
    redis_url = ""
    if tier == "redis":
        server = request.getfixturevalue("redis_server")
        redis_url = server.url.replace("redis://", "redis://:hunter2@")
        server.kill()  # a password Redis would refuse: restart it requiring one
        server.start("--requirepass", "hunter2")
    env = tier_env(clean_env, tmp_path, tier, redis_url)
    result = run_manage("backends", "--json", env=env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)

    assert set(status) == KEYS
    assert set(status["redis"]) == {"configured", "location", "state"}
    assert status["tier"] == tier
    assert "hunter2" not in result.stdout
    if tier == "redis":
        # No server runs: the command says it cannot know, never "closed".
        assert status["redis"]["state"] == "unknown"
        assert status["session_engine"] == "django.contrib.sessions.backends.cached_db"
    else:
        assert status["redis"]["state"] == "not configured"


def test_text_output_names_tier_and_reason(clean_env, tmp_path):
    result = run_manage("backends", env=tier_env(clean_env, tmp_path, "memory"))
    assert result.returncode == 0, result.stderr
    assert "Tier:         memory" in result.stdout
    assert "CACHE_BACKEND=memory" in result.stdout
