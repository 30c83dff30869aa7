"""Results dicts shaped like a run's, for testing verdicts and reports without load."""

from __future__ import annotations

from typing import Any


def load(rps: float, p99: float = 10.0, errors: int = 0) -> dict[str, float | int]:
    return {
        "requests": int(rps * 3),
        "seconds": 3.0,
        "errors": errors,
        "rps": rps,
        "p50_ms": p99 / 3,
        "p90_ms": p99 / 2,
        "p99_ms": p99,
        "max_ms": p99 * 2,
    }


def search_figures(p95: float, matches: int = 1200) -> dict[str, float | int]:
    return {"runs": 40, "median_ms": p95 / 2, "p95_ms": p95, "max_ms": p95 * 1.5,
            "median_matches": matches}  # fmt: skip


def results(**overrides: Any) -> dict[str, Any]:
    """A run where every target is met unless ``overrides`` says otherwise."""
    base: dict[str, Any] = {
        "meta": {
            "date": "2026-01-01",
            "profile": "quick",
            "command": "make bench QUICK=1",
            "machine": "2 cores",
            "workers": 2,
            "connections": 8,
            "wrk_seconds": 3,
            "warmup_seconds": 1,
            "articles": 1000,
            "http_database": "PostgreSQL",
        },
        "http": {
            tier: {
                "minimal view": load(1000),
                "home": load(700),
                "cached article": load(800),
                "featured article": load(760),
                "uncached article": load(200),
                "login page": load(600),
            }
            for tier in ("redis", "file", "memory")
        },
        "memory": {"redis": [60.0, 61.5], "file": [58.0, 58.2], "memory": [57.0, 57.1]},
        "search": {
            vendor: {
                "vendor": vendor,
                "server": "1.0",
                "sizes": {
                    str(size): {
                        "added": size,
                        "seed_seconds": 1.0,
                        "queries": {
                            kind: search_figures(p95)
                            for kind, p95 in (
                                ("one word", 30.0),
                                ("three words", 12.0),
                                ("no match", 1.0),
                            )
                        },
                    }
                    for size in (10_000, 100_000)
                },
                "explain": {},
            }
            for vendor in ("sqlite", "postgresql", "mysql")
        },
        "outage": {
            "phases": {
                "before": {
                    "requests": 500,
                    "errors": 0,
                    "rps": 100,
                    "p50_ms": 5,
                    "p99_ms": 20,
                    "max_ms": 30,
                },
                "during": {
                    "requests": 480,
                    "errors": 0,
                    "rps": 96,
                    "p50_ms": 6,
                    "p99_ms": 40,
                    "max_ms": 50,
                },
                "after": {
                    "requests": 500,
                    "errors": 0,
                    "rps": 100,
                    "p50_ms": 5,
                    "p99_ms": 21,
                    "max_ms": 30,
                },
            },
            "timeline": [
                {"t": 0.0, "p50_ms": 5, "p99_ms": 20, "errors": 0, "requests": 50},
                {"t": 0.5, "p50_ms": 6, "p99_ms": 40, "errors": 0, "requests": 48},
            ],
            "redis_stopped_at": 0.4,
            "redis_started_at": 0.9,
            "threads": 4,
            "paths": ["/"],
        },
        "moving": {
            "runs": [
                {
                    "articles": 100_000,
                    "source": "mariadb",
                    "target": "postgresql",
                    "export_seconds": 50.5,
                    "export_peak_mb": 90.2,
                    "import_seconds": 80.4,
                    "import_peak_mb": 101.7,
                    "archive_bytes": 84_000_000,
                    "counts_match": True,
                }
            ]
        },
        "media": {
            "upload": {"size": [4000, 3000], "upload_ms": [900.0, 950.0], "median_ms": 925.0},
            "page_weight": {
                "slug": "demo-article-0002",
                "viewport_px": 1280,
                "html_bytes": 6000,
                "image": {"width": 960, "format": "webp", "bytes": 40000},
                "original_bytes": 900000,
                "total_bytes": 46000,
            },
        },
        "cpanel": {
            "static page": load(12000),
            "passenger hit": load(900),
            "minimal view": load(1000),
            "publish_to_visible_s": 0.05,
        },
        "vps": {
            "front cache hit": load(10000),
            "static file": load(12000),
            "minimal view": load(1000),
            "gunicorn cached_page hit": load(900),
            "publish_to_visible_s": 0.07,
            "restart": {
                "requests": 5000,
                "errors": 0,
                "down_s": 10.3,
                "readers": 4,
                "answers": {"200": 5000},
                "front_cache": {"HIT": 4990, "STALE": 10},
            },
        },
        "locust": {},
        "errors": [],
    }
    base.update(overrides)
    return base
