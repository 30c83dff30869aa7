"""The start-up probe: what it chooses, and that it gives up on a Redis that never answers."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from filamenta.probe import probe_backends
from tests.backends.conftest import free_port
from tests.conftest import run_manage

# The memoised function would answer a repeated question from memory.
probe = probe_backends.__wrapped__


def test_no_redis_configured_chooses_the_file_store(tmp_path):
    choice = probe(requested="auto", redis_url="", cache_dir=tmp_path / "c", timeout=0.3)
    assert (choice.tier, choice.redis_location) == ("file", "")
    assert "no Redis is configured" in choice.reason
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700


@pytest.mark.redis
def test_redis_that_answers_is_chosen(redis_server, tmp_path):
    choice = probe(requested="auto", redis_url=redis_server.url, cache_dir=tmp_path, timeout=0.3)
    assert choice.tier == "redis"
    assert choice.redis_location == f"redis://127.0.0.1:{redis_server.port}/0"


def test_silent_redis_is_given_up_and_auto_falls_back(silent_port, tmp_path, caplog):
    url = f"redis://:secret-pw@127.0.0.1:{silent_port}/0"
    choice = probe(requested="auto", redis_url=url, cache_dir=tmp_path, timeout=0.3)
    assert choice.tier == "file"
    assert f"127.0.0.1:{silent_port}" in choice.reason
    assert "did not answer within 0.3 s" in choice.reason
    assert "Timeout" in choice.reason
    assert "secret-pw" not in choice.reason + choice.redis_location
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1


def test_explicit_redis_that_does_not_answer_stops_start_up(tmp_path):
    port = free_port()
    with pytest.raises(ImproperlyConfigured, match=rf"127\.0\.0\.1:{port}.*Connection refused"):
        probe(
            requested="redis",
            redis_url=f"redis://127.0.0.1:{port}/0",
            cache_dir=tmp_path,
            timeout=0.3,
        )


def test_unwritable_cache_dir_falls_back_to_memory(tmp_path):
    # A path under a regular file: unwritable even for root, who ignores mode bits.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    choice = probe(requested="auto", redis_url="", cache_dir=blocker / "cache", timeout=0.3)
    assert choice.tier == "memory"
    assert "file store" in choice.reason
    assert "unusable" in choice.reason


def test_explicit_file_tier_on_an_unwritable_cache_dir_stops_start_up(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ImproperlyConfigured, match="CACHE_BACKEND=file"):
        probe(requested="file", redis_url="", cache_dir=blocker / "cache", timeout=0.3)


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"CACHE_BACKEND": "memcached"}, "CACHE_BACKEND='memcached'"),
        ({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "six"}, "REDIS_PORT='six'"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL="),
        ({"REDIS_PROBE_TIMEOUT": "soon"}, "REDIS_PROBE_TIMEOUT='soon'"),
    ],
)
def test_bad_value_stops_start_up(clean_env, variables, expected):
    result = run_manage("check", env={**clean_env, **variables})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert expected in result.stderr
    if "CACHE_BACKEND" in variables:
        assert "auto, redis, file, memory" in result.stderr


def test_cpanel_never_probes_an_unconfigured_localhost(clean_env):
    env = {
        **clean_env,
        "DEPLOYMENT_TARGET": "cpanel",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "LOG_FILE": "",
    }
    result = run_manage("backends", "--json", env=env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["tier"] == "file"
    assert status["redis"] == {"configured": False, "location": "", "state": "not configured"}
