"""Cache operations for the report: bench.backends' figures plus get_many and exact counting.

    python -m bench.cache_ops --sizes 1000,50000 --ops 2000 --processes 8 --increments 2000

The stores, their filling and the set/get/incr timings are bench.backends'
(``make bench-backends``), so both reports measure the same thing the same
way. Added here: get_many, and several processes incrementing one key on
every store. Prints one JSON line for bench.run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import backends

GET_MANY_KEYS = 10
COUNTER_KEY = "bench:exact"


def short_name(name: str) -> str:
    # bench.backends.fill recognises Django's stores by their short name.
    return name.split(" (")[0] if "tier" not in name else name


def get_many_rate(cache: Any, size: int, ops: int) -> float:
    """Calls/s of get_many over GET_MANY_KEYS keys among the ``fill:`` entries."""
    rng = random.Random(size)  # noqa: S311 - key choice, not secrets
    batches = [[f"fill:{rng.randrange(size)}" for _ in range(GET_MANY_KEYS)] for _ in range(ops)]
    return backends.rate(lambda i: cache.get_many(batches[i]), ops)


def counters_rates(cache: Any, size: int, ops: int) -> dict[str, float | None]:
    # The memory tier's counters hold integers only: get and incr, as rate limits use them.
    cache.clear()
    cache.set_many({f"fill:{i}": i for i in range(size)}, None)
    cache.set("bench:n", 0, None)
    return {
        "get": backends.rate(lambda i: cache.get(f"fill:{(i * 7919) % size}"), ops),
        "set": None,
        "incr": backends.rate(lambda i: cache.incr("bench:n"), max(ops // 4, 1)),
        "get_many": None,
    }


def operations(*, workdir: Path, redis_url: str, sizes: list[int], ops: int) -> dict[str, Any]:
    results: dict[str, dict[str, Any]] = {}
    for name, config in backends.stores(workdir, redis_url).items():
        cache = backends.build(config)
        results[name] = {}
        for size in sizes:
            if "counters" in name:
                row = counters_rates(cache, size, ops)
            else:
                row = dict(backends.measure(cache, short_name(name), size, ops))
                # FileBasedCache at 50,000 gets few operations (bench.backends); so does get_many.
                slow = short_name(name) == "FileBasedCache" and size >= 50_000
                row["get_many"] = get_many_rate(cache, size, 20 if slow else ops)
            results[name][str(size)] = {
                k: None if v is None else round(v, 1) for k, v in row.items()
            }
            print(
                f"   {name:42}@{size:<7,} {results[name][str(size)]}", file=sys.stderr, flush=True
            )
        cache.clear()
    return results


def _count(args: tuple[str, str, str, int]) -> tuple[int, str]:
    """In a spawned process: ``increments`` incr calls on one key; (errors, first error)."""
    workdir, redis_url, name, increments = args
    import django

    # The parent's environment (bench.backends.setup_django) came with the spawn.
    django.setup()
    cache = backends.build(backends.stores(Path(workdir), redis_url)[name])
    errors, first = 0, ""
    for _ in range(increments):
        try:
            cache.incr(COUNTER_KEY)
        except Exception as error:
            errors += 1
            first = first or f"{type(error).__name__}: {error}"
    return errors, first


def exactness(*, workdir: Path, redis_url: str, processes: int, increments: int) -> dict:
    """``processes`` processes increment one key ``increments`` times each, on every store."""
    from django.db import connections

    expected = processes * increments
    found: dict[str, Any] = {}
    context = multiprocessing.get_context("spawn")
    for name, config in backends.stores(workdir, redis_url).items():
        cache = backends.build(config)
        cache.set(COUNTER_KEY, 0, None)
        connections.close_all()
        work = [(str(workdir), redis_url, name, increments)] * processes
        with context.Pool(processes) as pool:
            outcomes = pool.map(_count, work, chunksize=1)
        count = cache.get(COUNTER_KEY)
        found[name] = {
            "count": count,
            "expected": expected,
            "lost": None if count is None else expected - count,
            "error": sum(errors for errors, _ in outcomes),
            "first_error": next((first for _, first in outcomes if first), ""),
        }
        if "LocMem" in name:
            # Not lost but never shared: the site keeps its counters elsewhere on this tier.
            found[name]["note"] = "per process: each process counts in its own memory"
    return {"processes": processes, "per_process": increments, "stores": found}


def run(*, workdir: Path, redis_url: str, sizes: list[int], args: argparse.Namespace) -> dict:
    backends.setup_django(workdir)
    return {
        "sizes": sizes,
        "ops": operations(workdir=workdir, redis_url=redis_url, sizes=sizes, ops=args.ops),
        "exactness": exactness(
            workdir=workdir,
            redis_url=redis_url,
            processes=args.processes,
            increments=args.increments,
        ),
        "notes": [
            "Stores, filling and set/get/incr timings are bench.backends' (make "
            "bench-backends); 200-byte values, sets on new keys, gets on existing ones.",
            f"get_many fetches {GET_MANY_KEYS} existing keys per call (calls/s).",
            "FileBasedCache at 50,000 entries is timed over 20 operations: ~10 sets/s.",
        ],
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cache_ops")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--increments", type=int, default=2000)
    parser.add_argument(
        "--workdir", type=Path, help="scratch folder (default: a new temporary one)"
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="filamenta-bench-cache-"))
    workdir.mkdir(parents=True, exist_ok=True)
    from bench.servers import redis_server

    try:
        with redis_server(workdir / "redis") as redis:
            results = run(workdir=workdir, redis_url=redis.url, sizes=sizes, args=args)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
