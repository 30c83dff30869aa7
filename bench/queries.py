"""Queries per page and the indexes they use, from the database's own EXPLAIN.

Each page is requested through Django's test client with the queries captured;
every SELECT is then explained on the same connection. Runs inside Django:
``python -m bench.queries PATH...`` prints JSON for the runner, and the test
suite calls :func:`pages_queries` on whichever database it runs on.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

PG_INDEX = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)"
)
PG_FULL_SCAN = re.compile(r"Seq Scan on (\S+)")
SQLITE_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\S+)|USING (INTEGER PRIMARY KEY)")
SQLITE_FULL_SCAN = re.compile(r"^SCAN (\S+)(?! USING)")
TABLE = re.compile(r"\b(?:FROM|JOIN)\s+[`\"]?(\w+)")


def explain_plan(*, vendor: str, lines: list[str] | list[dict[str, Any]]) -> dict[str, list[str]]:
    """Index names and fully scanned tables in one plan, as each vendor prints it."""
    indexes: list[str] = []
    full_scans: list[str] = []
    if vendor == "postgresql":
        for line in lines:
            indexes += PG_INDEX.findall(str(line))
            full_scans += PG_FULL_SCAN.findall(str(line))
    elif vendor == "mysql":
        for row in lines:
            assert isinstance(row, dict)
            if row.get("key"):
                indexes.append(str(row["key"]))
            elif row.get("type") == "ALL":
                full_scans.append(str(row.get("table")))
    elif vendor == "sqlite":
        for line in lines:
            for named, rowid in SQLITE_INDEX.findall(str(line)):
                indexes.append(named or rowid)
            full_scans += SQLITE_FULL_SCAN.findall(str(line))
    else:
        raise ValueError(f"no EXPLAIN reader for {vendor!r}")
    return {"indexes": list(dict.fromkeys(indexes)), "full_scans": list(dict.fromkeys(full_scans))}


def explain(sql: str) -> dict[str, list[str]]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        if connection.vendor == "mysql":
            names = [column[0] for column in cursor.description]
            lines: list[Any] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        else:
            lines = [str(row[-1]) for row in cursor.fetchall()]
    return {**explain_plan(vendor=connection.vendor, lines=lines), "plan": _plan_text(lines)}


def _plan_text(lines: list[Any]) -> list[str]:
    """The plan as the database printed it; MySQL/MariaDB's rows as "table type key rows Extra"."""
    if lines and isinstance(lines[0], dict):
        keys = ("table", "type", "key", "rows", "Extra")
        return [" ".join(f"{k}={row.get(k)}" for k in keys) for row in lines]
    return [str(line) for line in lines]


def page_queries(*, client: Any, path: str) -> dict[str, Any]:
    """One GET of ``path``: its status, how many queries it ran, and each SELECT's plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append({"sql": sql, "tables": TABLE.findall(sql), **explain(sql)})
    return {
        "path": path,
        "status": response.status_code,
        "queries": len(captured.captured_queries),
        "selects": statements,
    }


def pages_queries(*, client: Any, pages: dict[str, str]) -> dict[str, Any]:
    """``pages`` maps a label to a path; one labelled "uncached ..." is read with the cache cleared.

    "uncached article" then "cached article" on the same path: what a hit saves.
    """
    from django.core.cache import cache
    from django.db import connection

    pages = {label: _resolved(client, path) for label, path in pages.items()}
    # One request to every page first: counted from a cold process, each page
    # would also show the one-off reads and writes that create cache versions.
    for path in pages.values():
        client.get(path)
    results: dict[str, Any] = {}
    for label, path in pages.items():
        if label.startswith("uncached"):
            cache.clear()
        results[label] = page_queries(client=client, path=path)
    profiled = pages.get("cached article")
    return {
        "vendor": connection.vendor,
        "server": _server_version(),
        "pages": results,
        "cached_article_profile": (
            profile_page(client=client, path=profiled, requests=200) if profiled else {}
        ),
    }


def _resolved(client: Any, path: str) -> str:
    """``sitemap:sections`` or ``sitemap:tags``: the first such page the site's sitemap lists."""
    if not path.startswith("sitemap:"):
        return path
    from bench.pages import SECTION_PATH, TAG_PATH, paths_from_sitemap

    pattern = {"sections": SECTION_PATH, "tags": TAG_PATH}[path.removeprefix("sitemap:")]
    found = paths_from_sitemap(client.get("/sitemap.xml").content.decode(), pattern=pattern)
    if not found:
        raise RuntimeError(f"the sitemap lists no page for {path}: did seed_demo run?")
    return found[0]


# Where a request's time goes, by the file each function lives in (first match wins).
AREAS = (
    ("django/test", "test client (absent under gunicorn)"),
    ("django/template", "template rendering"),
    ("filamenta/caching", "cache"),
    ("filamenta/backends", "cache"),
    ("django/core/cache", "cache"),
    ("django_redis", "cache"),
    ("diskcache", "cache"),
    ("django/db", "database"),
    ("psycopg", "database"),
    ("MySQLdb", "database"),
    ("sqlite3", "database"),
    ("django/middleware", "middleware, sessions, auth"),
    ("django/contrib/sessions", "middleware, sessions, auth"),
    ("django/contrib/auth", "middleware, sessions, auth"),
    ("django/contrib/messages", "middleware, sessions, auth"),
    ("whitenoise", "middleware, sessions, auth"),
    ("xff", "middleware, sessions, auth"),
    ("django/urls", "URL resolving"),
    ("/apps/", "Filamenta's views and selectors"),
)


def profile_page(*, client: Any, path: str, requests: int) -> dict[str, float]:
    """Share of own time (cProfile tottime) per area over ``requests`` GETs of ``path``."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    shares: dict[str, float] = {}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, tottime, _, _) in stats.items():
        area = next((name for part, name in AREAS if part in filename), "other Python")
        shares[area] = shares.get(area, 0.0) + tottime
    total = sum(shares.values()) or 1.0
    ordered = sorted(shares.items(), key=lambda item: -item[1])
    return {area: round(100 * seconds / total, 1) for area, seconds in ordered}


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SELECT version()")
        return str(cursor.fetchone()[0]).split(" on ")[0]


def main(argv: list[str]) -> None:
    """``python -m bench.queries LABEL=PATH ...`` under the bench settings: JSON on stdout."""
    import django

    from filamenta.environment import configure

    configure()
    django.setup()
    from django.test import Client

    pages = dict(arg.split("=", 1) for arg in argv)
    print(json.dumps(pages_queries(client=Client(), pages=pages)))


if __name__ == "__main__":
    main(sys.argv[1:])
