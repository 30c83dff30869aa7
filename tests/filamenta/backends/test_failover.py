"""Redis dies after start-up: requests keep working, the breaker opens, then lets Redis back
in within seconds, and nothing written or deleted during the outage is served stale."""

from __future__ import annotations

import logging
import time

import pytest
import redis
from django.core.cache import cache, caches
from django.test import override_settings

from filamenta.backends.breaker import circuit_breaker_state
from filamenta.backends.settings import CACHED_DB, _redis_caches


def wait_for_state(name: str, wanted: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cache.get("tests:poke")  # the breaker only moves when the cache is used
        state = circuit_breaker_state(name)
        if state == wanted:
            return state
        time.sleep(0.1)
    return circuit_breaker_state(name)


@pytest.mark.redis
@pytest.mark.django_db
def test_redis_killed_mid_test(redis_server, client, caplog):
    caplog.set_level(logging.DEBUG, logger="filamenta.backends")
    name = f"Redis at {redis_server.url}"
    redis_caches = _redis_caches(redis_server.url, 0.3, breaker=name)
    with override_settings(
        CACHES=redis_caches,
        SESSION_ENGINE=CACHED_DB,
        SESSION_CACHE_ALIAS="sessions",
        ROOT_URLCONF="tests.filamenta.backends.urls",
    ):
        assert client.get("/visit").json() == {"visits": 1, "cached": 1}
        cache.set("tests:changed", "before the outage")
        cache.set("tests:deleted", "before the outage")
        assert circuit_breaker_state(name) == "closed"

        redis_server.kill()
        during = [client.get("/visit") for _ in range(10)]
        assert [r.status_code for r in during] == [200] * 10
        assert during[-1].json()["visits"] == 11  # sessions kept working, from the database
        assert circuit_breaker_state(name) == "open"
        cache.set("tests:changed", "during the outage")
        cache.delete("tests:deleted")
        assert caches["ratelimit"].add("tests:counted", 1, 60)  # counters: DB fallback

        # The same data directory: Redis comes back holding the values from
        # before the outage, which are now stale.
        redis_server.start()
        assert wait_for_state(name, "closed") == "closed"

        assert cache.get("tests:changed") != "before the outage"
        assert cache.get("tests:deleted") is None
        assert client.get("/visit").json() == {"visits": 12, "cached": 12}

    opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
    closed = [r for r in caplog.records if "circuit closed" in r.getMessage()]
    assert [r.levelname for r in opened] == ["WARNING"]
    assert [r.levelname for r in closed] == ["INFO"]


@pytest.mark.django_db
def test_a_hung_redis_costs_one_timeout_then_the_breaker_is_open(silent_port, caplog):
    """A server that accepts and never answers: the first call times out, none after it waits."""
    url = f"redis://127.0.0.1:{silent_port}/0"
    name = f"Redis at {url}"
    with override_settings(CACHES=_redis_caches(url, 0.3, breaker=name)):
        assert cache.get("tests:hung") is None  # waits its 0.3 s, then the fallback answers
        assert circuit_breaker_state(name) == "open"
        cache.set("tests:hung", "kept in local memory")
        assert cache.get("tests:hung") == "kept in local memory"
        assert caches["ratelimit"].add("tests:hung-limit", 1, 60)  # database counters
    opened = [r for r in caplog.records if "circuit open" in r.getMessage()]
    assert len(opened) == 1
    assert "TimeoutError" in opened[0].getMessage()


@pytest.mark.redis
@pytest.mark.django_db
def test_clear_and_the_recovery_flush_remove_every_version(redis_server):
    name = f"Redis at {redis_server.url}"
    with override_settings(CACHES=_redis_caches(redis_server.url, 0.3, breaker=name)):
        cache.set("tests:v1", "one")
        cache.set("tests:v2", "two", version=2)
        caches["sessions"].set("tests:session", "kept apart")
        cache.clear()
        assert cache.get("tests:v1") is None
        assert cache.get("tests:v2", version=2) is None
        assert caches["sessions"].get("tests:session") == "kept apart"  # other aliases untouched

        cache.set("tests:v3", "three", version=3)
        redis_server.kill()
        cache.get("tests:poke")
        redis_server.start()  # the same data directory: v3 comes back, stale
        assert wait_for_state(name, "closed") == "closed"
        assert cache.get("tests:v3", version=3) is None


@pytest.mark.redis
@pytest.mark.django_db
def test_a_process_starting_after_an_outage_it_did_not_see_flushes_the_stale_store(redis_server):
    """Another process counted an outage in the database; this one finds the store behind."""
    from filamenta.backends.failover import _outage_begins

    name = f"Redis at {redis_server.url}"
    with override_settings(CACHES=_redis_caches(redis_server.url, 0.3, breaker=name)):
        assert cache.catch_up() is False  # no outage yet: nothing to flush
        cache.set("tests:stale", "from before the outage")
        caches["ratelimit"].set("tests:count", 7)
        _outage_begins(name)  # as a process that saw Redis down would

        assert cache.catch_up() is True
        assert cache.get("tests:stale") is None
        assert caches["ratelimit"].get("tests:count") == 7  # counters are never flushed
        assert cache.catch_up() is False  # caught up: the next process does not flush again


@pytest.mark.redis
@pytest.mark.django_db
def test_key_settings_on_the_failover_entry_hold_for_both_stores(redis_server):
    name = f"Redis at {redis_server.url}"
    entry = _redis_caches(redis_server.url, 0.3, breaker=name)["default"]
    entry = {**entry, "KEY_PREFIX": "tests-prefix", "VERSION": 7}
    with override_settings(CACHES={**_redis_caches(redis_server.url, 0.3, breaker=name),
                                   "default": entry}):  # fmt: skip
        cache.set("tests:key", "on redis")
        assert redis.Redis(port=redis_server.port).get("tests-prefix:7:tests:key") is not None
        assert cache.fallback.make_key("tests:key") == "tests-prefix:7:tests:key"
