"""Cache operations per store: get, set, incr, get_many when full, and exact counting.

    python -m bench.cache_ops --sizes 1000,50000 --ops 2000 --processes 8 --increments 2000

The three tiers are built by filamenta.backend_settings exactly as the site
builds them (the Redis one through its failover wrapper, against a Redis of
this run's own); beside them Django's FileBasedCache, DatabaseCache (SQLite)
and LocMemCache, the stores MEASURED.md measured before Filamenta existed.
Prints one JSON line for bench.run.
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import pickle
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

VALUE = "x" * 200  # the size MEASURED.md used
GET_MANY_KEYS = 10

# Label -> (alias, what it is). The memory tier's counters (rate limits and the
# versions of filamenta.caching) live in the database: incr and get only.
STORES = {
    "redis tier": "redis",
    "file tier": "file",
    "memory tier": "memory",
    "memory tier counters (database)": "memory_counters",
    "Django FileBasedCache": "stock_file",
    "Django DatabaseCache (SQLite)": "stock_db",
    "Django LocMemCache": "stock_locmem",
}
INTEGER_ONLY = {"memory_counters"}


def caches_config(*, workdir: Path, redis_url: str, max_entries: int) -> dict[str, Any]:
    """The CACHES dict: each tier's site cache as the site builds it, then the stock stores."""
    import environ

    from filamenta.backend_settings import backend_settings

    def tier(name: str) -> dict[str, Any]:
        os.environ["REDIS_URL"] = redis_url
        os.environ["CACHE_DIR"] = str(workdir / f"{name}-tier")
        return backend_settings(env=environ.Env(), instance_dir=workdir, requested=name).caches

    redis, file, memory = tier("redis"), tier("file"), tier("memory")
    # Django's stores never cull while measuring: MEASURED.md's anchors were taken the same way.
    stock = {"MAX_ENTRIES": max_entries * 2}
    return {
        "default": memory["default"],
        "redis": redis["default"],
        "file": file["default"],
        "memory": memory["default"],
        "memory_counters": memory["ratelimit"],
        "stock_file": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(workdir / "stock-file"),
            "OPTIONS": stock,
        },
        "stock_db": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bench_cache_table",
            "OPTIONS": stock,
        },
        "stock_locmem": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "bench-stock",
            "OPTIONS": stock,
        },
    }


def configure(workdir: str, redis_url: str, max_entries: int) -> None:
    """Django settings for this process (and each spawned counting process)."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    root = Path(workdir)
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "filamenta.counters"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(root / "cache-ops.sqlite3"),
                "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"},
            }
        },
        CACHES=caches_config(workdir=root, redis_url=redis_url, max_entries=max_entries),
        USE_TZ=True,
    )
    django.setup()


def fill(alias: str, size: int) -> None:
    """Bring a store to ``size`` entries quickly, without measuring its own set.

    FileBasedCache's cull check lists the directory on every set (10 sets/s at
    50,000 entries), and DatabaseCache counts its table: filling through them
    would take hours, so their entries are written as they would write them.
    """
    from django.core.cache import caches
    from django.db import connection, transaction

    cache = caches[alias]
    cache.clear()
    if alias in INTEGER_ONLY:
        with transaction.atomic():  # one commit, not one per row
            cache.set_many({f"k{i}": i for i in range(size)}, None)
    elif alias == "stock_file":
        cull, cache._cull = cache._cull, lambda: None
        try:
            for i in range(size):
                cache.set(f"k{i}", VALUE, None)
        finally:
            cache._cull = cull
    elif alias == "stock_db":
        value = base64.b64encode(pickle.dumps(VALUE, pickle.HIGHEST_PROTOCOL)).decode()
        expires = datetime.now(UTC) + timedelta(days=365)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_cache_table (cache_key, value, expires) VALUES (%s, %s, %s)",
                [(cache.make_and_validate_key(f"k{i}"), value, expires) for i in range(size)],
            )
    else:
        for start in range(0, size, 1000):
            cache.set_many({f"k{i}": VALUE for i in range(start, min(size, start + 1000))}, None)


def ops_per_second(alias: str, operation: str, *, size: int, ops: int, seconds: float) -> float:
    """Calls per second of ``operation`` over existing keys, for ``ops`` calls or ``seconds``."""
    from django.core.cache import caches

    cache = caches[alias]
    rng = random.Random(size)  # noqa: S311 - key choice, not secrets
    keys = [f"k{rng.randrange(size)}" for _ in range(ops)]
    if operation == "incr":
        cache.set("counter", 0, None)
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    for key in keys:
        if operation == "get":
            cache.get(key)
        elif operation == "set":
            cache.set(key, 1 if alias in INTEGER_ONLY else VALUE, None)
        elif operation == "incr":
            cache.incr("counter")
        else:
            cache.get_many([key, *(f"k{rng.randrange(size)}" for _ in range(GET_MANY_KEYS - 1))])
        done += 1
        if time.perf_counter() > deadline:
            break
    return round(done / (time.perf_counter() - started), 1)


def _count(args: tuple[str, str, str, int, str, int]) -> tuple[int, str]:
    """In a spawned process: ``increments`` incr calls on one key; (errors, first error)."""
    workdir, redis_url, key, max_entries, alias, increments = args
    configure(workdir, redis_url, max_entries)
    from django.core.cache import caches

    cache = caches[alias]
    errors, first = 0, ""
    for _ in range(increments):
        try:
            cache.incr(key)
        except Exception as error:
            errors += 1
            first = first or f"{type(error).__name__}: {error}"
    return errors, first


def exactness(
    *, workdir: str, redis_url: str, max_entries: int, processes: int, increments: int
) -> dict[str, Any]:
    """``processes`` processes increment one key ``increments`` times each, on every store."""
    from django.core.cache import caches
    from django.db import connections

    expected = processes * increments
    stores: dict[str, Any] = {}
    context = multiprocessing.get_context("spawn")
    for label, alias in STORES.items():
        cache = caches[alias]
        cache.set("exact", 0, None)
        connections.close_all()
        work = [(workdir, redis_url, "exact", max_entries, alias, increments)] * processes
        with context.Pool(processes) as pool:
            outcomes = pool.map(_count, work, chunksize=1)
        count = cache.get("exact")
        stores[label] = {
            "count": count,
            "expected": expected,
            "lost": None if count is None else expected - count,
            "error": sum(errors for errors, _ in outcomes),
            "first_error": next((first for _, first in outcomes if first), ""),
        }
    for label in ("memory tier", "Django LocMemCache"):
        # Not lost but never shared: the site keeps its counters elsewhere on this tier.
        stores[label]["note"] = "per process: each process counts in its own memory"
    return {"processes": processes, "per_process": increments, "stores": stores}


def measure(args: argparse.Namespace, redis_url: str) -> dict[str, Any]:
    from django.core.management import call_command

    sizes = [int(size) for size in args.sizes.split(",")]
    configure(str(args.workdir), redis_url, max(sizes))
    call_command("migrate", "counters", verbosity=0)
    call_command("createcachetable", "bench_cache_table", verbosity=0)
    ops: dict[str, dict[str, dict[str, float | None]]] = {label: {} for label in STORES}
    for size in sizes:
        for label, alias in STORES.items():
            fill(alias, size)
            row: dict[str, float | None] = {}
            for operation in ("get", "set", "incr", "get_many"):
                if alias in INTEGER_ONLY and operation in {"set", "get_many"}:
                    row[operation] = None
                    continue
                row[operation] = ops_per_second(
                    alias, operation, size=size, ops=args.ops, seconds=args.seconds
                )
            ops[label][str(size)] = row
            print(f"   {label:<34}@{size:<7,} {row}", file=sys.stderr, flush=True)
    return {
        "sizes": sizes,
        "ops": ops,
        "exactness": exactness(
            workdir=str(args.workdir),
            redis_url=redis_url,
            max_entries=max(sizes),
            processes=args.processes,
            increments=args.increments,
        ),
        "notes": [
            "200-byte values; get and set on keys chosen at random among the entries; "
            f"get_many fetches {GET_MANY_KEYS} keys per call (calls/s).",
            "Each figure is ops/s over at most --ops calls or --seconds, whichever ends first.",
            "The redis tier goes through the site's failover wrapper and circuit breaker; "
            "the memory tier's site cache is LocMemCache, its counters a database table.",
        ],
    }


def main(argv: list[str]) -> None:
    from bench.servers import redis_server

    parser = argparse.ArgumentParser(prog="python -m bench.cache_ops")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--increments", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    with redis_server(args.workdir / "redis") as redis:
        results = measure(args, redis.url)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
