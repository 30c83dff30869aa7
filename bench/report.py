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


def _warmup(seconds: int) -> str:
    """The warm-up as the report's first paragraph says it (the tiny profile has none)."""
    return f"a {seconds} s warm-up" if seconds else "no warm-up"


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


# Each stack's rows (results key, label in the table), the page the ratio divides by first.
STACKS = {
    "cpanel": (
        "cPanel: Apache + Passenger (deploy/rehearsal/cpanel.py)",
        [
            ("minimal view", "minimal Django view (robots.txt under Passenger)"),
            ("passenger hit", "@cached_page hit under Passenger"),
            ("static page", "Apache's static copy of the page (public/_pages)"),
            ("plain file", "the same bytes as a plain file (no .htaccess, no Passenger)"),
        ],
    ),
    "vps": (
        "VPS: nginx + gunicorn (deploy/rehearsal/vps.py)",
        [
            ("minimal view", "minimal Django view (robots.txt?load=1 through nginx, BYPASS)"),
            ("gunicorn cached_page hit", "@cached_page hit, gunicorn direct"),
            ("front cache hit", "the page from nginx's front cache (HIT)"),
            ("static file", "the same bytes as a static file from nginx"),
        ],
    ),
}


def stacks_section(results: dict[str, Any]) -> list[str]:
    """Each deployment stack's rehearsal under load: its pages side by side, then the rest."""
    ran = results.get("stacks", {})
    if not ran and not any(results.get(name) for name in STACKS):
        return []
    lines = [
        "## Deployment stacks (the rehearsals with REHEARSE_LOAD=1)",
        "",
        "Each stack as `make rehearse-<name>` runs it on this machine, on loopback, wrk with "
        "8 connections for 5 s per row (TLS through nginx on the VPS; plain HTTP to Apache), "
        "wrk sharing the cores with the servers. The Django-side figures of the HTTP table "
        "above (one gunicorn, per cache tier) are the same pages without a server in front.",
        "",
    ]
    for name, (title, rows) in STACKS.items():
        figures = results.get(name) or {}
        outcome = ran.get(name)
        lines += [f"### {title}", ""]
        if outcome and outcome.get("exit"):
            failed = outcome.get("failed") or ["(no check recorded; see the run's output)"]
            lines += [
                f"**The rehearsal failed** (exit {outcome['exit']}); the figures below are what "
                "it measured before. Failed checks:",
                "",
                *[f"- {line}" for line in failed[:10]],
                "",
            ]
        minimal = (figures.get(rows[0][0]) or {}).get("rps")
        table = []
        for key, label in rows:
            load = figures.get(key)
            if not load:
                continue
            factor = f"{load['rps'] / minimal:.1f}x" if minimal else "—"
            table.append(
                [
                    label,
                    _number(load["rps"]),
                    f"{load['p50_ms']:.1f}",
                    f"{load['p99_ms']:.1f}",
                    load["errors"],
                    factor,
                ]
            )
        if table:
            lines += _table(
                ["page", "req/s", "p50 ms", "p99 ms", "errors", "x minimal view"], table
            )
        else:
            lines += ["No load figures (wrk missing, or the rehearsal stopped first).", ""]
        seconds = figures.get("publish_to_visible_s")
        if seconds is not None:
            lines += [
                f"Publish-to-visible: {seconds:.3f} s from the admin's answer to the edit until "
                "an anonymous read showed the new title.",
                "",
            ]
        restart = figures.get("restart")
        if restart:
            answers = ", ".join(f"{k} x{n:,}" for k, n in sorted(restart["answers"].items()))
            cache = ", ".join(f"{k} x{n:,}" for k, n in sorted(restart["front_cache"].items()))
            lines += [
                f"gunicorn stopped for {restart['down_s']:.1f} s and started again under "
                f"{restart['readers']} anonymous readers through nginx: {restart['errors']} "
                f"errors in {restart['requests']:,} requests (answers: {answers}; "
                f"X-Front-Cache: {cache}).",
                "",
            ]
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
        lines += _taxonomy_plans(vendor, found["pages"])
    return lines


TAXONOMY_PAGES = ("uncached section page", "uncached tag page")
CONTENT_TABLES = ("content_article", "content_section", "content_taggedarticle", "taggit_tag")


def _taxonomy_plans(vendor: str, pages: dict[str, Any]) -> list[str]:
    """The section and tag pages' own reads (read cold), each with its plan as printed."""
    lines: list[str] = []
    for label in TAXONOMY_PAGES:
        page = pages.get(label)
        if not page:
            continue
        lines += [f"{vendor}, {label} (`{page['path']}`): its reads of the content tables", ""]
        for select in page["selects"]:
            tables = [t for t in select.get("tables", []) if t in CONTENT_TABLES]
            head = select["sql"].split(" FROM ")[0]
            # The next scheduled change (one column), read by every cold page alike.
            if not tables or ("," not in head and "publish" in head):
                continue
            kind = "count" if "COUNT(" in select["sql"] else "rows"
            lines += [
                f"- {kind} from {' + '.join(dict.fromkeys(tables))}: indexes "
                f"{', '.join(select['indexes']) or '—'}; full scans "
                f"{', '.join(select['full_scans']) or '—'}",
                "",
                "  ```",
                *(f"  {line}" for line in select.get("plan", [])),
                "  ```",
                "",
            ]
    return lines


def search_section(results: dict[str, Any]) -> list[str]:
    """Search latency per database, size and kind of query, then each server's plan."""
    search = results.get("search", {})
    if not search:
        return []
    lines = [
        "## Search (`article_search`, its cache bypassed)",
        "",
        "A one-word, a three-word and a no-match query, a different draw of words each run "
        "(`bench/search.py`), on articles seeded through `articles_create_many` in a database "
        "per size; the matches are the median count of published articles found.",
        "",
    ]
    rows = []
    for vendor, found in search.items():
        if "error" in found:
            lines += [f"**{vendor}**: not measured: {found['error']}", ""]
            continue
        for size, measured in sorted(found["sizes"].items(), key=lambda item: int(item[0])):
            for kind, figures in measured["queries"].items():
                rows.append(
                    [
                        f"{vendor} {found.get('server', '')}".strip(),
                        f"{int(size):,}",
                        kind,
                        figures["runs"],
                        f"{figures['median_ms']:.1f}",
                        f"{figures['p95_ms']:.1f}",
                        f"{figures['median_matches']:,}",
                    ]
                )
    lines += _table(
        ["database", "articles", "query", "runs", "median ms", "p95 ms", "matches"], rows
    )
    for vendor, found in search.items():
        for kind, plan in (found.get("explain") or {}).items():
            lines += [
                f"EXPLAIN on {vendor}, {kind} (`{plan.get('query', '')}`): indexes used "
                f"{', '.join(plan.get('indexes', [])) or '—'}; full scans "
                f"{', '.join(plan.get('full_scans', [])) or '—'}.",
                "",
                "```",
                *plan.get("plan", []),
                "```",
                "",
            ]
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
    ratios = {
        "cpanel": ("static page", "Apache's static page ≥"),
        "vps": ("front cache hit", "nginx's front-cached page ≥"),
    }
    for name, (label, target) in ratios.items():
        figures = results.get(name) or {}
        fast, minimal = figures.get(label), figures.get("minimal view")
        if fast and minimal and any(t.startswith(target) for t in targets):
            stack = STACKS[name][0].split(" (")[0]
            hints.append(
                f"{stack}: the {label} answered in {fast['p50_ms']:.2f} ms at p50 "
                f"({fast['rps']:,.0f} req/s), the minimal Django view in "
                f"{minimal['p50_ms']:.2f} ms ({minimal['rps']:,.0f} req/s), wrk on the same cores."
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
        f"{meta['wrk_seconds']} s per page after {_warmup(meta['warmup_seconds'])}. "
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
        stacks_section,
        media_section,
        moving_section,
        locust_section,
        outage_section,
        memory_section,
        cache_ops_section,
        database_section,
        search_section,
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
    lines = [f"{'tier':<8}{'page':<22}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"]
    for tier in TIERS:
        for page in PAGES:
            load = http.get(tier, {}).get(page)
            if load:
                lines.append(
                    f"{tier:<8}{page:<22}{load['rps']:>10,.0f}{load['p50_ms']:>9.1f}"
                    f"{load['p99_ms']:>9.1f}{load['errors']:>8}"
                )
    lines.append("")
    lines += [f"{v.label:>12}  {v.target} [{v.scope}]: {v.measured}" for v in evaluate(results)]
    return "\n".join(lines)
