"""Redis behind Sentinel: real redis-server and sentinel processes on ports of their own."""

from __future__ import annotations

import json
import logging
import secrets
import time

import environ
import pytest
import redis
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from devtools.local_servers import RedisServer, free_port
from filamenta.backends.breaker import circuit_breaker_state
from filamenta.backends.probe import _probe
from filamenta.backends.sentinel import RedisSentinel
from filamenta.backends.settings import CACHED_DB, _redis_caches, redis_sentinel_from_env
from tests.conftest import PROJECT_VARIABLES, run_manage
from tests.filamenta.backends.helpers import tier_env
from tests.services import FLEET_MEDIA


def probe(*, sentinel: RedisSentinel, tmp_path, timeout: float = 0.3):
    """The probe of the redis tier through ``sentinel``, asked afresh (not memoised)."""
    return _probe.__wrapped__(
        tier="redis", redis_url="", sentinel=sentinel, cache_dir=tmp_path, timeout=timeout
    )


def sentinel_for(*servers, **options) -> RedisSentinel:
    return RedisSentinel(
        sentinels=tuple(("127.0.0.1", s.port) for s in servers),
        master=servers[0].master,
        **options,
    )


def sentinel_env(clean_env, tmp_path, sentinel, tier="redis", **variables) -> dict[str, str]:
    return {
        **tier_env(clean_env, tmp_path, tier),
        "REDIS_SENTINELS": sentinel.address,
        "REDIS_SENTINEL_MASTER": sentinel.master,
        **variables,
    }


@pytest.fixture
def redis_variables(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """This process's environment without the developer's Redis variables."""
    for name in PROJECT_VARIABLES:
        if name.startswith("REDIS_"):
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


# The probe ---------------------------------------------------------------------------------


@pytest.mark.redis
def test_probe_finds_the_master_through_sentinel(redis_server, sentinel, tmp_path):
    target = sentinel_for(sentinel)
    choice = probe(sentinel=target, tmp_path=tmp_path)
    assert choice.ok
    assert choice.redis_master == f"127.0.0.1:{redis_server.port}"
    assert target.location == f"redis+sentinel://127.0.0.1:{sentinel.port}/{sentinel.master}/0"
    assert f"Redis master '{sentinel.master}' at 127.0.0.1:{redis_server.port}" in choice.detail
    assert f"sentinels at 127.0.0.1:{sentinel.port}" in choice.detail


@pytest.mark.redis
def test_a_dead_sentinel_is_skipped_for_one_that_answers(redis_server, sentinel, tmp_path):
    dead = free_port()
    target = RedisSentinel(
        sentinels=(("127.0.0.1", dead), ("127.0.0.1", sentinel.port)), master=sentinel.master
    )
    choice = probe(sentinel=target, tmp_path=tmp_path)
    assert choice.redis_master == f"127.0.0.1:{redis_server.port}"


def test_nothing_listening_at_the_sentinels_is_reported(tmp_path):
    port = free_port()
    target = RedisSentinel(sentinels=(("127.0.0.1", port),), master="mymaster")
    choice = probe(sentinel=target, tmp_path=tmp_path / "c")
    assert not choice.ok
    assert f"sentinels at 127.0.0.1:{port} did not name a master 'mymaster'" in choice.detail
    assert choice.redis_master == ""


def test_explicit_redis_with_no_sentinel_listening_fails_the_checks(clean_env, tmp_path):
    first, second = free_port(), free_port()
    env = {
        **tier_env(clean_env, tmp_path, "redis"),
        "REDIS_SENTINELS": f"127.0.0.1:{first},127.0.0.1:{second}",
        "REDIS_SENTINEL_MASTER": "mymaster",
    }
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "filamenta.E001) CACHE_BACKEND=redis but the sentinels at" in result.stderr
    assert f"127.0.0.1:{first}, 127.0.0.1:{second}" in result.stderr
    assert "Connection refused" in result.stderr


@pytest.mark.redis
def test_a_master_name_the_sentinels_do_not_know_is_not_found(sentinel, tmp_path):
    target = RedisSentinel(sentinels=(("127.0.0.1", sentinel.port),), master="not-monitored")
    choice = probe(sentinel=target, tmp_path=tmp_path)
    assert "did not name a master 'not-monitored'" in choice.detail
    assert f"127.0.0.1:{sentinel.port}: does not monitor 'not-monitored'" in choice.detail


@pytest.mark.redis
def test_passwords_for_sentinel_and_master(tmp_path, start_sentinel, clean_env):
    """Production requires Redis: Sentinel satisfies it. No password is ever shown."""
    master = RedisServer(tmp_path, persist=True)
    master.start("--requirepass", "master-pw-1")
    try:
        guarded = start_sentinel(master.port, master_password="master-pw-1", password="snt-pw-2")
        target = sentinel_for(guarded, password="master-pw-1", sentinel_password="snt-pw-2")
        choice = probe(sentinel=target, tmp_path=tmp_path)
        assert choice.redis_master == f"127.0.0.1:{master.port}"

        no_sentinel_password = sentinel_for(guarded, password="master-pw-1")
        refused = probe(sentinel=no_sentinel_password, tmp_path=tmp_path)
        assert "did not name a master" in refused.detail
        assert f"127.0.0.1:{guarded.port}: AuthenticationError" in refused.detail
        assert "snt-pw-2" not in refused.detail

        env = {
            **sentinel_env(clean_env, tmp_path, guarded),
            "DEPLOYMENT_TARGET": "production",
            "DJANGO_SETTINGS_MODULE": "settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "example.com",
            "REDIS_PASSWORD": "master-pw-1",
            "REDIS_SENTINEL_PASSWORD": "snt-pw-2",
            **FLEET_MEDIA,
        }
        del env["CACHE_BACKEND"]  # production's own default: redis
        result = run_manage("backends", "--json", "--require", env=env)
        assert result.returncode == 0, result.stderr
        status = json.loads(result.stdout)
        assert status["tier"] == "redis"
        assert status["redis"]["location"] == (
            f"redis+sentinel://127.0.0.1:{guarded.port}/{guarded.master}/0"
        )
        assert f"127.0.0.1:{master.port}" in status["probe"]["detail"]
        assert "master-pw-1" not in result.stdout + result.stderr
        assert "snt-pw-2" not in result.stdout + result.stderr
        deploy_check = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        assert deploy_check.returncode == 0, deploy_check.stderr
    finally:
        master.kill()


# The caches, sessions and rate limits at run time ------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_cache_sessions_and_counters_go_through_sentinel(redis_server, sentinel, client):
    target = sentinel_for(sentinel)
    name = f"Redis at {target.location}"
    with override_settings(
        CACHES=_redis_caches("", 0.3, sentinel=target, breaker=name),
        SESSION_ENGINE=CACHED_DB,
        SESSION_CACHE_ALIAS="sessions",
        ROOT_URLCONF="tests.filamenta.backends.urls",
    ):
        cache.set("tests:sentinel", "through the master", 60)
        assert cache.get("tests:sentinel") == "through the master"
        cache.set("tests:hits", 1, 60)
        assert cache.incr("tests:hits") == 2
        assert caches["ratelimit"].add("tests:limit", 1, 60)
        assert caches["ratelimit"].incr("tests:limit") == 2
        assert client.get("/visit").json() == {"visits": 1, "cached": 1}
        assert client.get("/visit").json() == {"visits": 2, "cached": 2}
        assert circuit_breaker_state(name) == "closed"

    # Not the fallbacks: every alias wrote to the master the sentinel named.
    master = redis.Redis(port=redis_server.port)
    try:
        assert master.get("filamenta:cache:1:tests:hits") == b"2"
        assert master.get("filamenta:ratelimit:1:tests:limit") == b"2"
        assert master.keys("filamenta:sessions:*")
    finally:
        master.flushall()
        master.close()


@pytest.mark.redis
def test_sessions_are_shared_between_processes_through_sentinel(
    redis_server, sentinel, clean_env, tmp_path
):
    from tests.filamenta.backends.helpers import SessionWorker, run_worker

    env = sentinel_env(clean_env, tmp_path, sentinel)
    run_worker("migrate", env=env)
    first, second = SessionWorker(env), SessionWorker(env)
    try:
        session_key = first.ask("new one")
        assert second.ask(f"use {session_key}") == "ok"
        assert second.ask("read") == "one"
        assert first.ask("write two") == "ok"
        assert second.ask("read") == "two"
    finally:
        first.close()
        second.close()
    assert redis.Redis(port=redis_server.port).keys("filamenta:sessions:*")


@pytest.mark.redis
@pytest.mark.django_db
def test_a_promoted_replica_takes_over(tmp_path, start_sentinel, caplog):
    """The master dies; the sentinel promotes the replica; the breaker lets the new master in."""
    caplog.set_level(logging.INFO, logger="filamenta.backends")
    master = RedisServer(tmp_path, persist=True)
    master.start()
    replica = RedisServer(tmp_path / "replica", persist=True)
    replica.start("--replicaof", "127.0.0.1", str(master.port))
    try:
        replica_client = redis.Redis(port=replica.port)
        wait_until(lambda: replica_client.info("replication")["master_link_status"] == "up")
        watcher = start_sentinel(master.port, down_after_ms=300)
        target = sentinel_for(watcher)
        name = f"Redis at {target.location}"
        with override_settings(CACHES=_redis_caches("", 0.3, sentinel=target, breaker=name)):
            cache.set("tests:before", "written to the first master", 60)
            assert cache.get("tests:before") == "written to the first master"
            master.kill()

            def new_master_answers() -> bool:
                cache.set("tests:after", "written after the failover", 60)
                return (
                    circuit_breaker_state(name) == "closed"
                    and replica_client.get("filamenta:cache:1:tests:after") is not None
                )

            wait_until(new_master_answers, seconds=20)
            assert replica_client.info("replication")["role"] == "master"
            assert cache.get("tests:after") == "written after the failover"
        opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
        assert [r.levelname for r in opened] == ["WARNING"]
        replica_client.close()
    finally:
        master.kill()
        replica.kill()


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s: {condition.__name__}")
        time.sleep(0.1)


# Bad values --------------------------------------------------------------------------------


SENTINELS_ACCEPTED = "use host:port pairs separated by commas"
MASTER_ACCEPTED = "lower-case letters, digits"
ONE_OR_THE_OTHER = "not both"


@pytest.mark.parametrize(
    ("variables", "expected", "accepted"),
    [
        (
            {"REDIS_SENTINELS": "sentinel1", "REDIS_SENTINEL_MASTER": "mymaster"},
            "REDIS_SENTINELS='sentinel1': 'sentinel1' has no port",
            SENTINELS_ACCEPTED,
        ),
        (
            {"REDIS_SENTINELS": "s1:26379,s2:port", "REDIS_SENTINEL_MASTER": "mymaster"},
            "'s2:port' has a port 'port' that is not a whole number from 1 to 65535",
            SENTINELS_ACCEPTED,
        ),
        (
            {"REDIS_SENTINELS": "s1:99999", "REDIS_SENTINEL_MASTER": "mymaster"},
            "'s1:99999' has a port '99999'",
            SENTINELS_ACCEPTED,
        ),
        (
            {"REDIS_SENTINELS": ":26379", "REDIS_SENTINEL_MASTER": "mymaster"},
            "':26379' has no host",
            SENTINELS_ACCEPTED,
        ),
        (
            {"REDIS_SENTINELS": "::1:26379", "REDIS_SENTINEL_MASTER": "mymaster"},
            "is an IPv6 address without brackets",
            "[::1]:26379 for IPv6",
        ),
        (
            {"REDIS_SENTINELS": " , ", "REDIS_SENTINEL_MASTER": "mymaster"},
            "REDIS_SENTINELS=' , ' lists no sentinel",
            "host:port pairs separated by commas",
        ),
        (
            {"REDIS_SENTINELS": "s1:26379"},
            "REDIS_SENTINELS='s1:26379' is set without REDIS_SENTINEL_MASTER",
            "the master's name from the sentinels' `sentinel monitor` line",
        ),
        (
            {"REDIS_SENTINELS": "s1:26379", "REDIS_SENTINEL_MASTER": "My Master"},
            "REDIS_SENTINEL_MASTER='My Master' is not a master name",
            MASTER_ACCEPTED,
        ),
        (
            {"REDIS_SENTINELS": "s1:26379", "REDIS_SENTINEL_MASTER": "MyMaster"},
            "REDIS_SENTINEL_MASTER='MyMaster' is not a master name",
            MASTER_ACCEPTED,
        ),
        (
            {
                "REDIS_SENTINELS": "s1:26379",
                "REDIS_SENTINEL_MASTER": "mymaster",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
            },
            "REDIS_SENTINELS='s1:26379' and REDIS_URL are both set",
            ONE_OR_THE_OTHER,
        ),
        (
            {"REDIS_SENTINELS": "s1:26379", "REDIS_SENTINEL_MASTER": "m", "REDIS_HOST": "r1"},
            "REDIS_SENTINELS='s1:26379' and REDIS_HOST are both set",
            ONE_OR_THE_OTHER,
        ),
        (
            {"REDIS_SENTINEL_MASTER": "mymaster"},
            "REDIS_SENTINEL_MASTER='mymaster' is set but REDIS_SENTINELS is not",
            "set REDIS_SENTINELS to the sentinels as host:port pairs",
        ),
        (
            {"REDIS_SENTINELS": "s1:26379", "REDIS_SENTINEL_MASTER": "m", "REDIS_DB": "one"},
            "REDIS_DB='one' is not a whole number",
            "an integer such as 0",
        ),
    ],
)
def test_bad_value_is_refused(redis_variables, variables, expected, accepted):
    for name, value in variables.items():
        redis_variables.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        redis_sentinel_from_env(environ.Env())
    assert expected in str(refused.value)
    assert accepted in str(refused.value)


@pytest.mark.parametrize(
    "variables",
    [
        {"REDIS_SENTINELS": "admin:pw-in-value@s1:26379", "REDIS_SENTINEL_MASTER": "m"},
        {"REDIS_SENTINEL_PASSWORD": "pw-in-value"},
    ],
)
def test_a_refused_password_is_never_echoed(redis_variables, variables):
    for name, value in variables.items():
        redis_variables.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        redis_sentinel_from_env(environ.Env())
    assert "pw-in-value" not in str(refused.value)
    assert "REDIS_SENTINEL" in str(refused.value)


def test_sentinels_master_password_and_db_are_read(redis_variables):
    redis_variables.setenv("REDIS_SENTINELS", " s1:26379, [::1]:26380 ,")
    redis_variables.setenv("REDIS_SENTINEL_MASTER", "cache-main")
    redis_variables.setenv("REDIS_SENTINEL_PASSWORD", "s-pw")
    redis_variables.setenv("REDIS_PASSWORD", "m-pw")
    redis_variables.setenv("REDIS_DB", "3")
    target = redis_sentinel_from_env(environ.Env())
    assert target == RedisSentinel(
        sentinels=(("s1", 26379), ("::1", 26380)),
        master="cache-main",
        db=3,
        password="m-pw",
        sentinel_password="s-pw",
    )
    assert target.location == "redis+sentinel://s1:26379,[::1]:26380/cache-main/3"
    assert "pw" not in repr(target)


def test_production_without_any_redis_names_sentinel_as_a_choice(clean_env):
    env = {
        **clean_env,
        "DEPLOYMENT_TARGET": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.com",
    }
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "This environment requires Redis" in result.stderr
    assert "REDIS_SENTINELS" in result.stderr
