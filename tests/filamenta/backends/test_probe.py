"""The tier follows from configuration; the probe only says whether its stores answer."""

from __future__ import annotations

import json
from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from devtools.local_servers import free_port
from filamenta.backends.probe import probe
from filamenta.backends.settings import backend_settings
from tests.conftest import run_manage


def configured(tmp_path: Path, monkeypatch, **variables: str):
    """backend_settings() for ``variables`` alone, as a settings module would build them."""
    for name in ("CACHE_BACKEND", "REDIS_URL", "REDIS_HOST", "REDIS_SENTINELS", "CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return backend_settings(env=environ.Env(), instance_dir=tmp_path)


@pytest.mark.parametrize(
    ("variables", "tier"),
    [
        ({}, "file"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "redis"),  # nothing listens: still redis
        ({"CACHE_BACKEND": "file", "REDIS_URL": "redis://127.0.0.1:1/0"}, "file"),
        ({"CACHE_BACKEND": "memory"}, "memory"),
    ],
)
def test_the_tier_follows_from_configuration_not_from_what_answers(
    tmp_path, monkeypatch, variables, tier
):
    assert configured(tmp_path, monkeypatch, **variables).tier == tier


def test_redis_requested_without_one_configured_stops_start_up(tmp_path, monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="CACHE_BACKEND=redis but no Redis"):
        configured(tmp_path, monkeypatch, CACHE_BACKEND="redis")


def test_no_redis_the_file_stores_answer(tmp_path, monkeypatch):
    backends = configured(tmp_path, monkeypatch, CACHE_DIR=str(tmp_path / "c"))
    result = probe(backends, fresh=True)
    assert result.ok, result.detail
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700
    assert {p.name for p in (tmp_path / "c").iterdir()} == {"default", "sessions", "ratelimit"}


@pytest.mark.redis
def test_redis_that_answers(redis_server, tmp_path, monkeypatch):
    backends = configured(tmp_path, monkeypatch, REDIS_URL=redis_server.url)
    result = probe(backends, fresh=True)
    assert result.ok, result.detail
    assert backends.redis_location == f"redis://127.0.0.1:{redis_server.port}/0"
    assert result.redis_master == f"127.0.0.1:{redis_server.port}"


def test_silent_redis_is_given_up_within_the_timeout(silent_port, tmp_path, monkeypatch):
    url = f"redis://:secret-pw@127.0.0.1:{silent_port}/0"
    backends = configured(tmp_path, monkeypatch, REDIS_URL=url)
    result = probe(backends, fresh=True)
    assert (backends.tier, result.ok) == ("redis", False)
    assert f"127.0.0.1:{silent_port}" in result.detail
    assert "did not answer within 0.3 s" in result.detail
    assert "Timeout" in result.detail
    assert "secret-pw" not in result.detail + backends.redis_location + backends.breaker


def test_refused_redis_names_host_port_and_cause(tmp_path, monkeypatch):
    port = free_port()
    backends = configured(tmp_path, monkeypatch, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    result = probe(backends, fresh=True)
    assert not result.ok
    assert f"127.0.0.1:{port}" in result.detail
    assert "Connection refused" in result.detail


def test_unwritable_cache_dir_is_found(tmp_path, monkeypatch):
    # A path under a regular file: unwritable even for root, who ignores mode bits.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    backends = configured(tmp_path, monkeypatch, CACHE_DIR=str(blocker / "cache"))
    result = probe(backends, fresh=True)
    assert backends.tier == "file"
    assert not result.ok
    assert "file store" in result.detail
    assert "unusable" in result.detail


@pytest.mark.parametrize("store", ["default", "sessions", "ratelimit"])
def test_a_damaged_store_is_found_whichever_it_is(tmp_path, monkeypatch, store):
    cache_dir = tmp_path / "cache"
    backends = configured(tmp_path, monkeypatch, CACHE_DIR=str(cache_dir))
    assert probe(backends, fresh=True).ok
    for database in (cache_dir / store).rglob("*.db"):
        database.write_bytes(b"\x5a" * 32768)  # garbage over every shard of that store
    from filamenta.backends.file_store import file_store_forget

    file_store_forget(str(cache_dir / store))  # a new process opens the files afresh
    result = probe(backends, fresh=True)
    assert not result.ok
    assert "DatabaseError" in result.detail


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
