"""The Markdown report and the terminal summary of a run, from its results dict."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from bench.charts import PAGES
from bench.targets import TIERS, Verdict, evaluate

# Measured before Filamenta existed, on this kind of machine (2 cores, Python 3.11.7,
# SQLite 3.40.1, django-redis 7.0.0, diskcache 5.6.3, redis-server 7.0.15 on loopback;
# medians of three runs): ops/s at 50,000 entries. Ratios travel between machines,
# absolutes less.
ANCHORS_50K = {
    "LocMemCache": {"set": 163_581, "get": 169_211, "incr": 197_678},
    "FileBasedCache": {"set": 10, "get": 35_248, "incr": 10},
    "DatabaseCache": {"set": 666, "get": 10_312, "incr": 608},
    "diskcache DjangoCache": {"set": 5_737, "get": 68_802, "incr": 14_046},
    "django-redis": {"set": 8_218, "get": 8_235, "incr": 9_445},
}


def _numeric(cell: Any) -> bool:
    text = str(cell).replace(",", "").replace("%", "").replace("—", "0")
    try:
        float(text)
    except ValueError:
        return False
    return True


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    # Figures right-aligned, words left: the columns read as in a spreadsheet.
    align = [
        "---:" if rows and all(_numeric(row[i]) for row in rows) else "---"
        for i in range(len(header))
    ]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _load_note(meta: dict[str, Any]) -> str:
    before, after = meta.get("load_before"), meta.get("load_after")
    if before is None or after is None:
        return ""
    note = (
        f"Load average (1 min): {before} at the start, {after} at the end, {os.cpu_count()} cores"
    )
    if max(before, after) > (os.cpu_count() or 1):
        return note + ": other work shared the CPUs and skewed these figures."
    return note + "."


def http_section(results: dict[str, Any]) -> list[str]:
    http = results.get("http", {})
    if not http:
        return []
    lines = ["## HTTP load, wrk (raw throughput)", ""]
    rows = []
    for tier in TIERS:
        ceiling = http.get(tier, {}).get("minimal view", {}).get("rps")
        for page in PAGES:
            load = http.get(tier, {}).get(page)
            if not load:
                continue
            share = f"{load['rps'] / ceiling:.0%}" if ceiling else "—"
            rows.append(
                [
                    tier,
                    page,
                    _number(load["rps"]),
                    f"{load['p50_ms']:.1f}",
                    f"{load['p99_ms']:.1f}",
                    load["errors"],
                    share,
                ]
            )
    lines += _table(["tier", "page", "req/s", "p50 ms", "p99 ms", "errors", "of ceiling"], rows)
    return lines


def media_section(results: dict[str, Any]) -> list[str]:
    media = results.get("media")
    if not media:
        return []
    upload, weight = media["upload"], media["page_weight"]
    image = weight["image"]
    width, height = upload["size"]
    return [
        "## Media",
        "",
        *_table(
            ["figure", "measured"],
            [
                [
                    f"upload plus renditions, {width} x {height} JPEG (median of "
                    f"{len(upload['upload_ms'])})",
                    f"{upload['median_ms']:,.0f} ms",
                ],
                [
                    f"`{weight['slug']}` HTML",
                    f"{weight['html_bytes']:,} bytes",
                ],
                [
                    f"its featured image at {weight['viewport_px']} px wide (srcset/sizes choice: "
                    f"{image['width']} w {image['format']})",
                    f"{image['bytes']:,} bytes (the original: {weight['original_bytes']:,})",
                ],
                ["page weight, HTML + image", f"**{weight['total_bytes']:,} bytes**"],
            ],
        ),
        "",
        "The image is the one a browser picks from the WebP `srcset` for the page's `sizes` "
        "at density 1 (computed, `bench/media.py`); the throughput of the same page is the "
        '"featured article" row of the HTTP table.',
        "",
    ]


def moving_section(results: dict[str, Any]) -> list[str]:
    runs = results.get("moving", {}).get("runs")
    if not runs:
        return []
    rows = [
        [
            f"{r['articles']:,}",
            f"{r['source']} → {r['target']}",
            f"{r['export_seconds']:,.1f} s",
            f"{r['export_peak_mb']:,.0f} MB",
            f"{r['import_seconds']:,.1f} s",
            f"{r['import_peak_mb']:,.0f} MB",
            f"{r['archive_bytes'] / 1_000_000:,.1f} MB",
            "yes" if r["counts_match"] else "**NO**",
        ]
        for r in runs
    ]
    return [
        "## Moving house",
        "",
        *_table(
            [
                "articles",
                "databases",
                "export",
                "export peak",
                "import",
                "import peak",
                "archive",
                "counts match",
            ],
            rows,
        ),
        "",
        "`manage.py site_export` on a `seed_demo` site, then `manage.py site_import` into a "
        "fresh migrated database, each a child process; peak is its resident-memory high-water "
        "mark from the kernel (`bench/moving.py`).",
        "",
    ]


def locust_section(results: dict[str, Any]) -> list[str]:
    locust = results.get("locust", {})
    if not locust:
        return []
    lines = [
        "## Scenarios, Locust (readers, an editor in the admin, a brute-force login)",
        "",
    ]
    rows = [
        [
            tier,
            row["method"],
            row["name"],
            row["requests"],
            row["failures"],
            f"{row['rps']:.1f}",
            f"{row['p50_ms']:.0f}",
            f"{row['p99_ms']:.0f}",
        ]
        for tier in TIERS
        for row in locust.get(tier, [])
    ]
    lines += _table(
        ["tier", "type", "name", "requests", "failures", "req/s", "p50 ms", "p99 ms"], rows
    )
    return lines


def outage_section(results: dict[str, Any]) -> list[str]:
    outage = results.get("outage")
    if not outage:
        return []
    lines = [
        "## Redis stopped under load (redis tier)",
        "",
        f"Redis was stopped {outage['redis_stopped_at']:.1f} s into the load and started again "
        f"at {outage['redis_started_at']:.1f} s; {outage.get('threads', '?')} client threads "
        f"cycled over {', '.join(outage.get('paths', []))}.",
        "",
    ]
    rows = [
        [
            phase,
            values["requests"],
            values["errors"],
            f"{values['rps']:.0f}",
            f"{values['p50_ms']:.1f}",
            f"{values['p99_ms']:.1f}",
            f"{values['max_ms']:.1f}",
        ]
        for phase, values in outage["phases"].items()
    ]
    lines += _table(["phase", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms"], rows)
    return lines


def memory_section(results: dict[str, Any]) -> list[str]:
    memory = results.get("memory", {})
    if not memory:
        return []
    rows = [
        [tier, ", ".join(f"{mb:.1f}" for mb in memory[tier])] for tier in TIERS if tier in memory
    ]
    return [
        "## Memory per worker (resident MB after the load)",
        "",
        *_table(["tier", "each worker, MB (10⁶ bytes)"], rows),
    ]


def cache_ops_section(results: dict[str, Any]) -> list[str]:
    cache_ops = results.get("cache_ops", {})
    ops = cache_ops.get("ops")
    if not ops:
        return []
    sizes = sorted({int(size) for store in ops.values() for size in store})
    operations = ("get", "set", "incr", "get_many")
    header = ["store"] + [f"{op} @{size:,}" for size in sizes for op in operations]
    rows = [
        [store]
        + [_number(ops[store].get(str(size), {}).get(op)) for size in sizes for op in operations]
        for store in ops
    ]
    lines = ["## Cache operations (ops/s)", "", *_table(header, rows)]
    notes = cache_ops.get("notes")
    if notes:
        lines += [f"- {note}" for note in notes] + [""]
    exactness = cache_ops.get("exactness")
    if exactness:
        lines += [
            f"### {exactness['processes']} processes x {exactness['per_process']:,} "
            "increments of one key",
            "",
            *_table(
                ["store", "final count", "expected", "lost", "errors"],
                [
                    [
                        store,
                        _number(row.get("count")),
                        f"{row['expected']:,}",
                        _number(row.get("lost")),
                        row.get("error") or 0,
                    ]
                    for store, row in exactness["stores"].items()
                ],
            ),
        ]
    lines += [
        "Anchors (measured before Filamenta existed, ops/s at 50,000 entries): "
        + "; ".join(
            f"{store} set {a['set']:,} / get {a['get']:,} / incr {a['incr']:,}"
            for store, a in ANCHORS_50K.items()
        )
        + ".",
        "",
    ]
    return lines


def database_section(results: dict[str, Any]) -> list[str]:
    database = results.get("database", {})
    if not database:
        return []
    lines = ["## Database: queries per page and the indexes they use (EXPLAIN)", ""]
    for vendor, found in database.items():
        if "error" in found:
            lines += [f"**{vendor}**: not measured: {found['error']}", ""]
            continue
        lines += [f"### {vendor} ({found.get('server', '')})", ""]
        rows = []
        for label, page in found["pages"].items():
            indexes = sorted({i for s in page["selects"] for i in s["indexes"]})
            scans = sorted({t for s in page["selects"] for t in s["full_scans"]})
            rows.append(
                [
                    label,
                    f"`{page['path']}`",
                    page["status"],
                    page["queries"],
                    ", ".join(indexes) or "—",
                    ", ".join(scans) or "—",
                ]
            )
        lines += _table(["page", "path", "status", "queries", "indexes used", "full scans"], rows)
    return lines


def measured_hints(results: dict[str, Any], missed: list[Verdict]) -> list[str]:
    """Facts from this run that explain the misses; never a guess that was not measured."""
    hints: list[str] = []
    targets = {verdict.target for verdict in missed}
    http = results.get("http", {})
    if any(target.startswith("cached article") for target in targets):
        for tier in TIERS:
            cached = http.get(tier, {}).get("cached article")
            ceiling = http.get(tier, {}).get("minimal view")
            if cached and ceiling:
                hints.append(
                    f"{tier} tier: a cached article takes {cached['p50_ms']:.1f} ms at p50, "
                    f"the minimal view {ceiling['p50_ms']:.1f} ms under the same server."
                )
        for vendor, found in results.get("database", {}).items():
            pages = found.get("pages", {})
            cached, uncached = pages.get("cached article"), pages.get("uncached article")
            if cached and uncached:
                tables = Counter(t for s in cached["selects"] for t in s.get("tables", []))
                listed = ", ".join(f"{t} x{n}" for t, n in tables.items()) or "none"
                hints.append(
                    f"{vendor}, memory tier: a cached article still runs {cached['queries']} "
                    f"queries per request (tables: {listed}); an uncached one "
                    f"{uncached['queries']}."
                )
            profile = found.get("cached_article_profile")
            if profile:
                shares = ", ".join(f"{area} {share:.0f} %" for area, share in profile.items())
                hints.append(
                    f"Where a cached article's time goes ({vendor}, memory tier, cProfile own "
                    f"time over 200 requests through Django's test client): {shares}."
                )
    if any(target.startswith("cached article ≥ 3x") for target in targets):
        hints.append(
            "The uncached article here is the product's view after its cached read was "
            "invalidated: one extra increment on the versions store, then the miss, the "
            "query and the store; what the cache saves is bounded by what the page spends "
            "outside that read (see the profile above)."
        )
    return hints


def closing_note(results: dict[str, Any], verdicts: list[Verdict]) -> list[str]:
    """What holds back each missed target, from what this run measured."""
    missed = [v for v in verdicts if v.met is False]
    lines = ["## Closing note", ""]
    if not missed:
        unmeasured = [v for v in verdicts if v.met is None]
        lines.append(
            "Every target measured in this run was met."
            + (f" {len(unmeasured)} were not measured (see Errors)." if unmeasured else "")
        )
        return [*lines, ""]
    for verdict in missed:
        lines.append(
            f"- **Missed: {verdict.target} ({verdict.scope})**, measured {verdict.measured}."
        )
    for hint in [*results.get("hints", []), *measured_hints(results, missed)]:
        lines.append(f"- {hint}")
    return [*lines, ""]


def render(results: dict[str, Any], *, charts: list[Path]) -> str:
    meta = results["meta"]
    verdicts = evaluate(results)
    lines = [
        f"# Filamenta benchmark, {meta['date']} ({meta['profile']} run)",
        "",
        f"Printed by `{meta['command']}` on {meta['machine']}. "
        f"Every HTTP case ran under the same gunicorn: {meta['workers']} sync workers, bench "
        f"settings (settings.vps over plain HTTP), {meta['http_database']} with "
        f"{meta['articles']:,} seeded articles; wrk used {meta['connections']} connections for "
        f"{meta['wrk_seconds']} s per page after a {meta['warmup_seconds']} s warm-up. "
        "Absolute figures drift between machines; compare ratios. " + _load_note(meta),
        "",
        "## Targets",
        "",
        *_table(
            ["target", "scope", "measured", "verdict"],
            [[v.target, v.scope, v.measured, f"**{v.label}**"] for v in verdicts],
        ),
    ]
    for section in (
        http_section,
        media_section,
        moving_section,
        locust_section,
        outage_section,
        memory_section,
        cache_ops_section,
        database_section,
    ):
        lines += section(results)
    if charts:
        lines += ["## Charts", ""] + [f"![{path.stem}]({path.name})" for path in charts] + [""]
    lines += closing_note(results, verdicts)
    if results.get("errors"):
        lines += ["## Errors", ""] + [f"- {error}" for error in results["errors"]] + [""]
    return "\n".join(lines)


def summary_table(results: dict[str, Any]) -> str:
    """The few lines printed at the end of ``make bench``."""
    http = results.get("http", {})
    lines = [f"{'tier':<8}{'page':<18}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for tier in TIERS:
        for page in PAGES:
            load = http.get(tier, {}).get(page)
            if load:
                lines.append(
                    f"{tier:<8}{page:<18}{load['rps']:>10,.0f}{load['p50_ms']:>9.1f}"
                    f"{load['p99_ms']:>9.1f}{load['errors']:>8}"
                )
    lines.append("")
    lines += [f"{v.label:>12}  {v.target} [{v.scope}]: {v.measured}" for v in evaluate(results)]
    return "\n".join(lines)
