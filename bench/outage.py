"""Load through a Redis outage: latency and errors before, during and after Redis stops.

wrk only reports a whole run, so this load comes from a few Python threads that
time every request; the phase of a request is the phase in which it started.
The Redis stopped is the benchmark's own (see bench.servers), never the shared one.
"""

from __future__ import annotations

import http.client
import itertools
import math
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.servers import RedisServer

PHASES = ("before", "during", "after")
REQUEST_TIMEOUT_S = 10
# How long a phase may run past its length waiting for its minimum of requests.
PHASE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Sample:
    started: float  # seconds since the load began
    ms: float
    ok: bool  # answered with a status below 500


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no values (a phase that saw no request)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(samples: list[Sample], *, seconds: float) -> dict[str, float | int]:
    latencies = [sample.ms for sample in samples]
    return {
        "requests": len(samples),
        "errors": sum(not sample.ok for sample in samples),
        "rps": round(len(samples) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies, default=0.0), 2),
    }


def split_phases(samples: list[Sample], *, boundaries: tuple[float, float]) -> dict[str, list]:
    stop_at, start_at = boundaries
    phases: dict[str, list[Sample]] = {phase: [] for phase in PHASES}
    for sample in samples:
        if sample.started < stop_at:
            phases["before"].append(sample)
        elif sample.started < start_at:
            phases["during"].append(sample)
        else:
            phases["after"].append(sample)
    return phases


def _request(host: str, port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status < 500
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def run_outage(
    *,
    base_url: str,
    paths: list[str],
    redis: RedisServer,
    phase_seconds: float,
    threads: int,
    min_requests_per_phase: int = 0,
) -> dict:
    """Load for three phases; Redis is stopped for the middle one and started again after.

    A phase lasts ``phase_seconds`` and then, with ``min_requests_per_phase``,
    until that many requests have started in it (up to PHASE_TIMEOUT_S more): on
    a busy machine a short phase can otherwise pass with every thread still
    waiting for an answer from the phase before, and measure nothing.
    """
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    samples: list[Sample] = []
    lock = threading.Lock()
    stop = threading.Event()
    rotation = itertools.cycle(paths)
    began = time.monotonic()
    started_count = 0

    def worker() -> None:
        nonlocal started_count
        while not stop.is_set():
            with lock:  # taken and counted together, so a phase's count is its own
                path = next(rotation)
                started = time.monotonic()
                started_count += 1
            ok = _request(host, port, path)
            elapsed = time.monotonic() - started
            with lock:
                samples.append(Sample(started - began, elapsed * 1000, ok))

    def phase_boundary() -> tuple[float, int]:
        with lock:
            return time.monotonic() - began, started_count

    def run_phase(first_request: int) -> None:
        time.sleep(phase_seconds)
        deadline = time.monotonic() + PHASE_TIMEOUT_S
        while time.monotonic() < deadline:
            with lock:
                if started_count - first_request >= min_requests_per_phase:
                    return
            time.sleep(0.05)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    try:
        run_phase(0)
        stop_at, first_during = phase_boundary()
        redis.stop()
        run_phase(first_during)
        redis.start()
        start_at, first_after = phase_boundary()
        run_phase(first_after)
    finally:
        stop.set()
        for thread in pool:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)
        if redis.process is None:
            redis.start()
    total = time.monotonic() - began
    phases = split_phases(samples, boundaries=(stop_at, start_at))
    lengths = {"before": stop_at, "during": start_at - stop_at, "after": total - start_at}
    return {
        "phase_seconds": phase_seconds,
        "phases": {name: summarise(phases[name], seconds=lengths[name]) for name in PHASES},
        "timeline": _timeline(samples, bucket_s=0.5),
        "redis_stopped_at": round(stop_at, 2),
        "redis_started_at": round(start_at, 2),
    }


def _timeline(samples: list[Sample], *, bucket_s: float) -> list[dict[str, float]]:
    # Half-second buckets for the chart: enough to see the breaker open and close.
    buckets: dict[int, list[Sample]] = {}
    for sample in samples:
        buckets.setdefault(int(sample.started / bucket_s), []).append(sample)
    return [
        {
            "t": round(index * bucket_s, 2),
            "p50_ms": round(percentile([s.ms for s in bucket], 50), 2),
            "p99_ms": round(percentile([s.ms for s in bucket], 99), 2),
            "errors": sum(not s.ok for s in bucket),
            "requests": len(bucket),
        }
        for index, bucket in sorted(buckets.items())
    ]
