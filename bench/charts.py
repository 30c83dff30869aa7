"""PNG charts of a run, drawn with matplotlib's file-only backend (no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from bench.targets import TIERS, WORKER_RSS_MB

PAGES = (
    "minimal view",
    "home",
    "cached article",
    "featured article",
    "uncached article",
    "article list",
    "section page",
    "tag page",
    "uncached section page",
    "uncached tag page",
    "login page",
)
TIER_COLOURS = {"redis": "#c0392b", "file": "#2874a6", "memory": "#7d8b8c"}


def _grouped_bars(ax: Any, groups: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        offsets = [g + (index - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ax.bar(offsets, values, width, label=name, color=TIER_COLOURS.get(name))
    # Eleven pages or more: slanted further and anchored at their right end, so none overlap.
    ax.set_xticks(range(len(groups)), groups, rotation=30, ha="right")
    ax.legend()


def http_charts(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    http = results.get("http", {})
    tiers = [tier for tier in TIERS if tier in http]
    if not tiers:
        return []
    pages = [page for page in PAGES if any(page in http[tier] for tier in tiers)]

    def column(tier: str, key: str) -> list[float]:
        return [http[tier].get(page, {}).get(key, 0.0) for page in pages]

    fig, ax = plt.subplots(figsize=(9, 4.5))
    _grouped_bars(ax, pages, {tier: column(tier, "rps") for tier in tiers})
    ax.set_ylabel("requests/s (wrk)")
    ax.set_title("Throughput per page and tier, same gunicorn workers")
    throughput = out / f"{stem}-http-throughput.png"
    fig.tight_layout()
    fig.savefig(throughput, dpi=100)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for ax, key in zip(axes, ("p50_ms", "p99_ms"), strict=True):
        _grouped_bars(ax, pages, {tier: column(tier, key) for tier in tiers})
        ax.set_ylabel(f"{key[:3]} latency (ms)")
        ax.set_title(f"{key[:3]} per page and tier")
    latency = out / f"{stem}-http-latency.png"
    fig.tight_layout()
    fig.savefig(latency, dpi=100)
    plt.close(fig)
    return [throughput, latency]


def cache_ops_chart(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    ops = results.get("cache_ops", {}).get("ops")
    if not ops:
        return []
    operations = ("get", "set", "incr", "get_many")
    sizes = sorted({int(size) for store in ops.values() for size in store})
    fig, axes = plt.subplots(1, len(operations), figsize=(14, 4.5), sharey=True)
    for ax, operation in zip(axes, operations, strict=True):
        series = {
            f"{size:,} entries": [
                ops[store].get(str(size), {}).get(operation) or 0.0 for store in ops
            ]
            for size in sizes
        }
        _grouped_bars(ax, list(ops), series)
        ax.set_yscale("log")
        ax.set_title(operation)
        ax.tick_params(axis="x", labelsize=7)
    axes[0].set_ylabel("operations/s (log)")
    path = out / f"{stem}-cache-ops.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


def outage_chart(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    outage = results.get("outage")
    if not outage or not outage.get("timeline"):
        return []
    timeline = outage["timeline"]
    times = [point["t"] for point in timeline]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.axvspan(
        outage["redis_stopped_at"],
        outage["redis_started_at"],
        color="#f5b7b1",
        alpha=0.5,
        label="Redis stopped",
    )
    ax.plot(times, [point["p50_ms"] for point in timeline], label="p50")
    ax.plot(times, [point["p99_ms"] for point in timeline], label="p99")
    ax.set_xlabel("seconds")
    ax.set_ylabel("latency (ms), per half second")
    errors = ax.twinx()
    errors.bar(
        times,
        [point["errors"] for point in timeline],
        width=0.4,
        color="black",
        alpha=0.6,
        label="errors",
    )
    errors.set_ylabel("errors per half second")
    ax.legend(loc="upper left")
    ax.set_title("Redis stopped under load (redis tier)")
    path = out / f"{stem}-redis-outage.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


def memory_chart(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    memory = results.get("memory", {})
    tiers = [tier for tier in TIERS if memory.get(tier)]
    if not tiers:
        return []
    workers = max(len(memory[tier]) for tier in tiers)
    fig, ax = plt.subplots(figsize=(7, 4))
    _grouped_bars(
        ax,
        tiers,
        {
            f"worker {n + 1}": [memory[t][n] if n < len(memory[t]) else 0.0 for t in tiers]
            for n in range(workers)
        },
    )
    ax.axhline(WORKER_RSS_MB, color="red", linestyle="--", label="target")
    ax.set_ylabel("resident MB after warm-up")
    ax.set_title("Memory per gunicorn worker")
    path = out / f"{stem}-worker-memory.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


def draw_all(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """Every chart the results allow; a section that did not run draws nothing."""
    out.mkdir(parents=True, exist_ok=True)
    return [
        *http_charts(results, out, stem),
        *cache_ops_chart(results, out, stem),
        *outage_chart(results, out, stem),
        *memory_chart(results, out, stem),
    ]
