"""``make bench-backends``: the cache tiers beside Django's own caches, the probe, failover.

    python -m bench.backends [--ops 2000]

Prints, in one run:
1. ops/s of set, get (hit) and incr at 1,000 and 50,000 entries (200-byte
   values) for our redis, file and memory tiers and Django's FileBasedCache,
   DatabaseCache (SQLite) and LocMemCache;
2. the probe time ``manage.py backends --probe`` reports (what each server
   process pays as it starts): no Redis configured (the file tier: it opens and
   uses all three stores, as the process would on its first requests), Redis
   up, a port that accepts and never answers;
3. the time of one request (cache + session + rate limit) with Redis up, and
   with Redis killed once the breaker is open.

Filling the stores is not measured. FileBasedCache and DatabaseCache are
filled behind their backs (their culling makes a 50,000-entry fill take
hours and minutes); FileBasedCache at 50,000 does ~10 sets/s, so it gets few
operations. Nothing here is asserted: the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devtools.local_servers import RedisServer, silent_port

ROOT = Path(__file__).resolve().parent.parent
VALUE = "x" * 200
SIZES = (1_000, 50_000)


def setup_django(workdir: Path) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="settings.development",
        FILAMENTA_ENV_FILE=str(workdir / "absent.env"),
        INSTANCE_DIR=str(workdir / "instance"),
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        CACHE_BACKEND="memory",
        LOG_LEVEL="ERROR",
    )
    import django
    from django.core.management import call_command

    django.setup()
    for app in ("sessions", "counters"):
        call_command("migrate", app, verbosity=0)
    call_command("createcachetable", "bench_cache", verbosity=0)


def build(config: dict[str, Any]):
    from django.utils.module_loading import import_string

    params = {k: v for k, v in config.items() if k not in {"BACKEND", "LOCATION"}}
    return import_string(config["BACKEND"])(config.get("LOCATION", ""), params)


def fill(cache, name: str, size: int) -> None:
    """Put ``size`` entries in, without timing it."""
    keys = [f"fill:{i}" for i in range(size)]
    if name == "FileBasedCache":
        cull, cache._cull = cache._cull, lambda: None
        for key in keys:
            cache.set(key, VALUE, None)
        cache._cull = cull
    elif name == "DatabaseCache":
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_cache")
            expires = "9999-12-31 23:59:59"
            pickled = __import__("base64").b64encode(__import__("pickle").dumps(VALUE)).decode()
            cursor.executemany(
                "INSERT INTO bench_cache (cache_key, value, expires) VALUES (%s, %s, %s)",
                [(cache.make_key(k), pickled, expires) for k in keys],
            )
    else:
        for start in range(0, size, 1000):
            cache.set_many({k: VALUE for k in keys[start : start + 1000]}, None)


def rate(operation: Callable[[int], Any], count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        operation(i)
    return count / (time.perf_counter() - started)


def measure(cache, name: str, size: int, ops: int) -> dict[str, float]:
    cache.clear()
    fill(cache, name, size)
    slow = name == "FileBasedCache" and size >= 50_000
    n = 20 if slow else ops
    counter = "bench:counter"
    cache.set(counter, 0, None)
    return {
        "set": rate(lambda i: cache.set(f"new:{i}", VALUE, None), n),
        "get": rate(lambda i: cache.get(f"fill:{(i * 7919) % size}"), n if slow else ops * 5),
        "incr": rate(lambda i: cache.incr(counter), n),
    }


def stores(workdir: Path, redis_url: str) -> dict[str, dict[str, Any]]:
    from filamenta.backends.settings import _file_caches, _redis_caches

    many = {"MAX_ENTRIES": 1_000_000}
    return {
        "redis tier (FailoverCache→django-redis)": _redis_caches(
            redis_url, 0.3, breaker=f"Redis at {redis_url}"
        )["default"],
        "file tier (diskcache)": _file_caches(
            workdir / "file-tier", breaker=f"file store at {workdir / 'file-tier'}"
        )["default"],
        "memory tier (LocMem)": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tier",
            "OPTIONS": many,
        },
        "memory tier counters (DB)": {"BACKEND": "filamenta.backends.counters.cache.CounterCache"},
        "FileBasedCache": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(workdir / "filebased"),
            "OPTIONS": many,
        },
        "DatabaseCache": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bench_cache",
            "OPTIONS": many,
        },
        "LocMemCache": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "django",
            "OPTIONS": many,
        },
    }


def cache_section(workdir: Path, redis_url: str, ops: int) -> dict[tuple[str, int], dict]:
    results = {}
    print(f"\n1. Cache operations, ops/s (200-byte values; {ops} ops, FileBasedCache@50k: 20)")
    print(f"{'store':42} {'entries':>8} {'set':>10} {'get hit':>10} {'incr':>10}")
    for name, config in stores(workdir, redis_url).items():
        cache = build(config)
        short = name.split(" (")[0] if "tier" not in name else name
        for size in SIZES:
            if "counters" in name:  # integers only: set/get/incr of counters
                cache.clear()
                for start in range(0, size, 1000):
                    for i in range(start, min(size, start + 1000)):
                        cache.set(f"fill:{i}", i, None)
                r = {
                    "set": rate(lambda i, c=cache: c.set(f"new:{i}", i, None), ops // 4),
                    "get": rate(lambda i, c=cache, s=size: c.get(f"fill:{(i * 7919) % s}"), ops),
                    "incr": rate(
                        lambda i, c=cache: (c.add("bench:n", 0, None), c.incr("bench:n")), ops // 4
                    ),
                }
            else:
                r = measure(cache, short, size, ops)
            results[(name, size)] = r
            print(f"{name:42} {size:>8,} {r['set']:>10,.0f} {r['get']:>10,.0f} {r['incr']:>10,.0f}")
        cache.clear()
    return results


def probe_ms(env: dict[str, str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "manage.py", "backends", "--json", "--probe"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        times.append(json.loads(out)["probe"]["ms"])
    return statistics.median(times)


def probe_section(workdir: Path, redis_url: str) -> dict[str, float]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "CACHE_"))}
    base.update(
        DJANGO_SETTINGS_MODULE="settings.development",
        CACHE_DIR=str(workdir / "probe-cache"),
        REDIS_PROBE_TIMEOUT="0.3",
    )
    with silent_port() as silent:
        cases = {
            "no Redis configured (file tier)": base,
            "Redis up": {**base, "REDIS_URL": redis_url},
            "a port that never answers": {**base, "REDIS_URL": f"redis://127.0.0.1:{silent}/0"},
        }
        results = {name: probe_ms(env) for name, env in cases.items()}
    print("\n2. Probe time in `manage.py backends --probe` (median of 3), ms")
    targets = {
        "no Redis configured (file tier)": "≤ 5",
        "Redis up": "",
        "a port that never answers": "≤ 350",
    }
    for name, value in results.items():
        print(f"{name:45} {value:8.1f}   target {targets[name] or '-'}")
    return results


def request_section(redis: RedisServer, requests: int) -> dict[str, float]:
    from django.test import Client, override_settings

    from filamenta.backends.breaker import circuit_breaker_state
    from filamenta.backends.settings import CACHED_DB, _redis_caches

    client = Client(HTTP_HOST="localhost")
    redis_url = redis.url

    def timed(n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            response = client.get("/visit")
            assert response.status_code == 200, response.status_code
        return (time.perf_counter() - started) / n * 1000

    with override_settings(
        CACHES=_redis_caches(redis_url, 0.3, breaker=f"Redis at {redis_url}"),
        SESSION_ENGINE=CACHED_DB,
        SESSION_CACHE_ALIAS="sessions",
        ROOT_URLCONF="bench.backends",
    ):
        timed(50)
        up = timed(requests)
        redis.kill()
        started = time.perf_counter()
        client.get("/visit")
        first = (time.perf_counter() - started) * 1000
        state = circuit_breaker_state(f"Redis at {redis_url}")
        timed(50)
        down = timed(requests)
    print(f"\n3. One request (session + cache get/set + rate limit), ms, {requests} requests")
    print(f"{'Redis up':45} {up:8.3f}")
    print(f"{'first request after the kill':45} {first:8.3f}   (breaker then: {state})")
    print(f"{'Redis down, breaker open':45} {down:8.3f}")
    print(f"{'added per request, breaker open':45} {down - up:8.3f}   target ≤ 2")
    return {"up": up, "down": down, "added": down - up}


def visit(request):
    from django.core.cache import cache
    from django.http import JsonResponse
    from django_ratelimit.core import is_ratelimited

    limited = is_ratelimited(request, group="bench", key="ip", rate="1000000/m", increment=True)
    request.session["n"] = request.session.get("n", 0) + 1
    cache.set("bench:last", request.session["n"])
    return JsonResponse({"n": cache.get("bench:last"), "limited": limited})


def __getattr__(name: str) -> Any:  # ROOT_URLCONF=bench.backends, built once Django is set up
    if name == "urlpatterns":
        from django.urls import path

        return [path("visit", visit)]
    raise AttributeError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is needed: apt-get install redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="filamenta-bench-"))
    redis = RedisServer(workdir / "redis")
    redis_url = redis.url
    try:
        redis.start()
        setup_django(workdir)
        print(
            f"Filamenta backends benchmark — Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        )
        results = cache_section(workdir, redis_url, args.ops)
        file_tier = results[("file tier (diskcache)", 50_000)]["set"]
        filebased = results[("FileBasedCache", 50_000)]["set"]
        print(
            f"file tier sets @50k ÷ FileBasedCache sets @50k: {file_tier / filebased:,.0f} times"
            "   target ≥ 100"
        )
        probe_section(workdir, redis_url)
        request_section(redis, args.requests)
    finally:
        redis.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
