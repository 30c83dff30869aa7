"""Rate-limit counters are shared by every process and exact, on every tier."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connections

from tests.filamenta.backends.helpers import run_worker, tier_env

WORKERS, PER_WORKER = 8, 250


@pytest.mark.parametrize("tier", ["redis", "file", "memory"])
def test_eight_processes_count_exactly(tier, clean_env, tmp_path, request):
    redis_url = request.getfixturevalue("redis_server").url if tier == "redis" else ""
    env = tier_env(clean_env, tmp_path, tier, redis_url)
    run_worker("migrate", env=env)

    total, failures = run_worker("count", str(PER_WORKER), str(WORKERS), env=env).split()

    assert failures == "0"
    assert int(total) == WORKERS * PER_WORKER


@pytest.mark.database
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the in-memory test SQLite locks whole tables; the 8-process test covers SQLite files",
)
# Threads need committed rows; serialized_rollback puts back the rows of data
# migrations (groups) that the flush after a transactional test removes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_database_counters_are_exact_under_concurrent_connections():
    """The memory tier's counters on this run's server database (PostgreSQL, MariaDB)."""
    store = caches["ratelimit"]
    key = "tests:threads"
    errors = []

    def count() -> None:
        try:
            for _ in range(50):
                if not store.add(key, 1, 300):
                    store.incr(key)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.get(key) == 200


@pytest.mark.django_db
def test_database_counters_follow_the_cache_contract():
    store = caches["ratelimit"]
    assert store.add("k", 5, 300) is True
    assert store.add("k", 9, 300) is False
    assert store.incr("k", 3) == 8
    assert store.get_many(["k", "absent"]) == {"k": 8}
    with pytest.raises(ValueError, match="not found"):
        store.incr("absent")
    store.set("expired", 1, 0)  # timeout 0: expired at once
    assert store.get("expired") is None
    assert store.add("expired", 2, 300) is True  # an expired counter can be added again
    with pytest.raises(TypeError, match="integers only"):
        store.set("text", "hello")


# Pairs a MariaDB/MySQL default collation (utf8mb4_general_ci, PAD SPACE) holds
# equal: two users' rate limits must never share one count.
LOOK_ALIKE_KEYS = [
    ("ratelimit:user:Bob", "ratelimit:user:bob"),  # case
    ("ratelimit:user:café", "ratelimit:user:cafe"),  # accent
    ("ratelimit:user:x", "ratelimit:user:x "),  # trailing space
]


@pytest.mark.database
@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
@pytest.mark.parametrize(("first", "second"), LOOK_ALIKE_KEYS)
def test_database_counters_keep_look_alike_keys_apart(first, second):
    """Keys differing only by case, accent or a trailing space are two counters."""
    store = caches["ratelimit"]

    assert store.add(first, 1, 300) is True
    assert store.add(second, 10, 300) is True
    assert store.incr(first) == 2
    assert store.incr(second, 5) == 15

    assert (store.get(first), store.get(second)) == (2, 15)
    assert store.get_many([first, second]) == {first: 2, second: 15}
    assert store.delete(first) is True
    assert store.get(second) == 15
