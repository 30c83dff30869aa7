"""``make bench``: every benchmark in one go, a dated report with charts, a summary table.

    python -m bench.run [--profile full|quick|tiny] [--out bench/results]

Each section runs on its own: one that fails is reported under "Errors" and
the others still run. Every server started here is stopped in a ``finally``,
and a SIGTERM unwinds the same way as Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import charts, report
from bench.memory import worker_rss_mb
from bench.moving import run_moves
from bench.outage import run_outage
from bench.pages import SECTION_PATH, TAG_PATH, article_paths_from_sitemap, paths_from_sitemap
from bench.scenarios import run_locust
from bench.servers import PROJECT_ROOT, Gunicorn, RedisServer, gunicorn, port_open, redis_server
from bench.site import EDITOR_USERNAME, base_env, ensure_database, manage, prepare_site
from bench.targets import TIERS
from bench.throughput import run_wrk

DEFAULT_HTTP_DATABASE = "postgres://root@127.0.0.1:5432/filamenta_bench"
# The stacks section: each rehearsal installs its Debian packages on a first run as root.
STACK_REHEARSALS = ("cpanel", "vps")
REHEARSAL_TIMEOUT = 900
SECTIONS = ("http", "stacks", "media", "moving", "cache_ops", "database", "search")
DEFAULT_EXPLAIN_DATABASES = (
    "postgres://root@127.0.0.1:5432/filamenta_bench",
    "mysql://root@127.0.0.1:3306/filamenta_bench",
)


@dataclass(frozen=True)
class Profile:
    """How long and how big: ``full`` for the report, ``quick`` to check, ``tiny`` for CI."""

    name: str
    articles: int
    users: int
    workers: int
    connections: int
    warmup_seconds: int
    wrk_seconds: int
    locust_users: int
    locust_seconds: int
    outage_phase_seconds: float
    outage_threads: int
    cache_sizes: tuple[int, ...]
    cache_ops: int
    exact_processes: int
    exact_increments: int
    # Uploads of a 4000 x 3000 JPEG for the media figure's median.
    media_uploads: int = 5
    # Moving house (bench/moving.py): sizes in articles, and (source, target) vendors.
    move_articles: tuple[int, ...] = (10_000, 100_000)
    move_pairs: tuple[tuple[str, str], ...] = (("sqlite", "postgresql"), ("mariadb", "postgresql"))
    # Search (bench/search.py): article counts, each in a database of its own,
    # and timed queries per kind and count.
    search_sizes: tuple[int, ...] = (10_000, 100_000)
    search_runs: int = 40
    # Locust stops once each scenario has run, locust_seconds being its time-out:
    # the test suite needs every scenario to run however slow the machine is,
    # where the report's profiles need a fixed length of load.
    locust_until_each_ran: bool = False
    # Each outage phase goes on past outage_phase_seconds until this many requests
    # started in it, for the same reason; the report's phases are long enough.
    outage_min_requests: int = 0


def _profile(name: str, **values: Any) -> Profile:
    # The same server and concurrency in every profile: only lengths and sizes change.
    return Profile(name=name, workers=2, connections=8, outage_threads=4, **values)


PROFILES = {
    "full": _profile(
        "full", articles=1000, users=20, warmup_seconds=3, wrk_seconds=15, locust_users=20,
        locust_seconds=60, outage_phase_seconds=10, cache_sizes=(1_000, 50_000), cache_ops=2_000,
        exact_processes=8, exact_increments=2_000,
    ),
    # 10,000 entries rather than 50,000: filling the stores dominates otherwise.
    "quick": _profile(
        "quick", articles=1000, users=10, warmup_seconds=1, wrk_seconds=3, locust_users=10,
        locust_seconds=10, outage_phase_seconds=4, cache_sizes=(1_000, 10_000), cache_ops=500,
        exact_processes=8, exact_increments=500, media_uploads=3, search_sizes=(1_000, 10_000),
        search_runs=20, move_articles=(10_000,),
    ),
    # For the test suite: every code path, on a tiny data set, with no figure worth reading.
    # 3 Locust users: one per scenario (the editor and the brute-forcer are one each).
    # No warm-up: it is the same wrk call as the measured second, and 3 tiers x 12 pages
    # of it kept both cores busy for 36 s of the suite for figures nobody reads.
    "tiny": _profile(
        "tiny", articles=12, users=2, warmup_seconds=0, wrk_seconds=1, locust_users=3,
        locust_seconds=120, locust_until_each_ran=True, outage_phase_seconds=1.5,
        outage_min_requests=4, cache_sizes=(100, 300), cache_ops=50, exact_processes=2,
        exact_increments=50, media_uploads=1, search_sizes=(20, 40), search_runs=3,
        move_articles=(12,), move_pairs=(("sqlite", "sqlite"),),
    ),
}  # fmt: skip


# seed_demo gives every fifth demo article from the second on a featured image;
# demo-article-0001, the "cached article", has none.
FEATURED_SLUG = "demo-article-0002"


def page_paths(base_url: str) -> dict[str, str]:
    """The pages of the HTTP table, found from the running site's own sitemap."""
    with urllib.request.urlopen(f"{base_url}/sitemap.xml", timeout=30) as response:  # noqa: S310
        sitemap = response.read().decode()
    articles = article_paths_from_sitemap(sitemap)
    sections = paths_from_sitemap(sitemap, pattern=SECTION_PATH)
    tags = paths_from_sitemap(sitemap, pattern=TAG_PATH)
    if not articles:
        raise RuntimeError("the sitemap lists no article: did seed_demo run?")
    if not sections or not tags:
        raise RuntimeError("the sitemap lists no section or no tag: did seed_demo run?")
    featured = [path for path in articles if path.rstrip("/").endswith(f"/{FEATURED_SLUG}")]
    if not featured:
        raise RuntimeError(f"the sitemap lists no {FEATURED_SLUG}: did seed_demo run?")
    return {
        "minimal view": "/bench/minimal/",
        "home": "/",
        "cached article": articles[0],
        # bench/urls.py: the same article under Django's own cache_page.
        "stock cache_page article": "/bench/stock" + articles[0],
        # The same cached page with a featured image (<picture>, og:image): beside the above.
        "featured article": featured[0],
        # bench/urls.py: the same article view, with its cached read invalidated first.
        "uncached article": "/bench/uncached" + articles[0],
        # The list and the taxonomy pages, each a page of items (seed_demo: five
        # sections of a fifth of the articles each, tags of about one in twelve).
        "article list": "/articles/",
        "section page": sections[0],
        "tag page": tags[0],
        "uncached section page": "/bench/uncached" + sections[0],
        "uncached tag page": "/bench/uncached" + tags[0],
        "login page": "/accounts/login/",
    }


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Run:
    """One benchmark run: its settings, its scratch folder and the results it collects."""

    def __init__(self, *, profile: Profile, workdir: Path, http_database: str) -> None:
        self.profile = profile
        self.workdir = workdir
        self.editor_password = secrets.token_urlsafe(16)
        self.env = base_env(workdir=workdir, secret_key=secrets.token_urlsafe(50))
        self.env["DATABASE_URL"] = http_database
        self.results: dict[str, Any] = {"http": {}, "locust": {}, "memory": {}, "errors": []}

    def section(self, name: str, action: Callable[[], None]) -> None:
        """Run one section; a failure is recorded for the report, never fatal to the run."""
        print(f"== {name}", flush=True)
        try:
            action()
        except Exception as error:
            traceback.print_exc()
            self.results["errors"].append(f"{name}: {type(error).__name__}: {error}")

    def tier_env(self, tier: str, redis: RedisServer) -> dict[str, str]:
        env = dict(self.env, CACHE_BACKEND=tier, CACHE_DIR=str(self.workdir / f"cache-{tier}"))
        if tier == "redis":
            env["REDIS_URL"] = redis.url
        return env

    def measure_tier(self, tier: str, redis: RedisServer) -> None:
        p = self.profile
        log = self.workdir / f"gunicorn-{tier}.log"
        with gunicorn(env=self.tier_env(tier, redis), workers=p.workers, log=log) as server:
            paths = page_paths(server.base_url)
            self.results["paths"] = paths
            loads: dict[str, Any] = {}
            for page, path in paths.items():
                status = status_of(server.base_url + path)
                if status != 200:
                    self.results["errors"].append(f"{tier} {page}: {path} answered {status}")
                    continue
                if p.warmup_seconds:
                    run_wrk(
                        base_url=server.base_url,
                        paths=[path],
                        seconds=p.warmup_seconds,
                        connections=p.connections,
                    )
                load = run_wrk(
                    base_url=server.base_url,
                    paths=[path],
                    seconds=p.wrk_seconds,
                    connections=p.connections,
                )
                loads[page] = load.as_dict()
                print(f"   {tier:<7}{page:<22}{load.rps:>9,.0f} req/s  p99 {load.p99_ms:.1f} ms")
            self.results["http"][tier] = loads
            self.results["memory"][tier] = worker_rss_mb(server.worker_pids())
            self.section(f"locust, {tier} tier", lambda: self.scenarios(tier, server))
            if tier == "redis":
                self.section("redis outage", lambda: self.outage(server, paths, redis))

    def scenarios(self, tier: str, server: Gunicorn) -> None:
        env = dict(
            self.env,
            BENCH_EDITOR_USERNAME=EDITOR_USERNAME,
            BENCH_EDITOR_PASSWORD=self.editor_password,
        )
        rows = run_locust(
            base_url=server.base_url,
            users=self.profile.locust_users,
            seconds=self.profile.locust_seconds,
            workdir=self.workdir / f"locust-{tier}",
            env=env,
            until_each_ran=self.profile.locust_until_each_ran,
        )
        self.results["locust"][tier] = [row.as_dict() for row in rows]

    def outage(self, server: Gunicorn, paths: dict[str, str], redis: RedisServer) -> None:
        loaded = [paths["home"], paths["cached article"], "/articles/", paths["login page"]]
        outage = run_outage(
            base_url=server.base_url,
            paths=loaded,
            redis=redis,
            phase_seconds=self.profile.outage_phase_seconds,
            threads=self.profile.outage_threads,
            min_requests_per_phase=self.profile.outage_min_requests,
        )
        self.results["outage"] = {**outage, "threads": self.profile.outage_threads, "paths": loaded}

    def http(self, tiers: list[str]) -> None:
        prepare_site(
            env=self.env,
            users=self.profile.users,
            articles=self.profile.articles,
            editor_password=self.editor_password,
        )
        with redis_server(self.workdir / "redis") as redis:
            for tier in tiers:
                self.section(f"http, {tier} tier", lambda tier=tier: self.measure_tier(tier, redis))

    def media(self) -> None:
        """Upload plus renditions of a 4000 x 3000 JPEG, and the featured article's weight."""
        env = dict(self.env, CACHE_BACKEND="memory")
        prepare_site(
            env=env,
            users=self.profile.users,
            articles=self.profile.articles,
            editor_password=self.editor_password,
        )
        completed = subprocess.run(  # noqa: S603 - our own module, a fixed argument list
            [
                sys.executable,
                "-m",
                "bench.media",
                "--uploads",
                str(self.profile.media_uploads),
                "--slug",
                FEATURED_SLUG,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr[-3000:])
        self.results["media"] = json.loads(completed.stdout.splitlines()[-1])

    def moving(self) -> None:
        """site_export and site_import time and peak memory, per size and vendor pair."""
        self.results["moving"] = run_moves(
            sizes=list(self.profile.move_articles),
            pairs=list(self.profile.move_pairs),
            workdir=self.workdir,
            env=dict(self.env, CACHE_BACKEND="memory"),
        )

    def stacks(self) -> None:
        """The cPanel and VPS rehearsals with their load figures (REHEARSE_LOAD=1).

        Each runs as ``python -m deploy.rehearsal NAME``, writing what it measured
        to REHEARSE_FIGURES; one that fails (or fails a check) keeps what it
        measured, and the other still runs.
        """
        self.results.setdefault("stacks", {})
        for name in STACK_REHEARSALS:
            self.section(f"stacks, {name} rehearsal", lambda name=name: self.stack(name))

    def stack(self, name: str) -> None:
        figures = self.workdir / f"rehearsal-{name}.json"
        log = self.workdir / f"rehearsal-{name}.log"
        env = dict(os.environ, REHEARSE_LOAD="1", REHEARSE_FIGURES=str(figures))
        with log.open("w") as out:
            completed = subprocess.run(  # noqa: S603 - our own module, a fixed argument list
                [sys.executable, "-m", "deploy.rehearsal", name],
                cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                timeout=REHEARSAL_TIMEOUT, check=False,
            )  # fmt: skip
        record = json.loads(figures.read_text()) if figures.exists() else {}
        self.results[name] = record.get("figures", {})
        self.results["stacks"][name] = {
            "exit": completed.returncode,
            "failed": record.get("failed", []),
        }
        if completed.returncode != 0:
            failed = record.get("failed") or [log.read_text(errors="replace")[-1500:]]
            raise RuntimeError(
                f"rehearse-{name} exited {completed.returncode}; failed: " + "; ".join(failed[:5])
            )

    def cache_ops(self) -> None:
        p = self.profile
        completed = subprocess.run(  # noqa: S603 - our own module, a fixed argument list
            [
                sys.executable,
                "-m",
                "bench.cache_ops",
                "--sizes",
                ",".join(map(str, p.cache_sizes)),
                "--ops",
                str(p.cache_ops),
                "--processes",
                str(p.exact_processes),
                "--increments",
                str(p.exact_increments),
                "--workdir",
                str(self.workdir / "cache-ops"),
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr[-3000:])
        self.results["cache_ops"] = json.loads(completed.stdout.splitlines()[-1])

    def database(self, urls: list[str]) -> None:
        found: dict[str, Any] = {}
        paths = self.results.get("paths") or {
            "home": "/",
            "uncached article": None,
            "cached article": None,
            "section page": "sitemap:sections",
            "tag page": "sitemap:tags",
            "login page": "/accounts/login/",
        }
        for url in urls:
            vendor = "postgresql" if url.startswith("postgres") else url.split(":", 1)[0]
            try:
                found[vendor] = self.explain_on(url, paths)
            except Exception as error:
                found[vendor] = {"error": f"{type(error).__name__}: {str(error)[-500:]}"}
                self.results["errors"].append(f"database {vendor}: {error}")
        self.results["database"] = found

    def explain_on(self, url: str, paths: dict[str, str | None]) -> dict[str, Any]:
        env = dict(self.env, DATABASE_URL=url, CACHE_BACKEND="memory")
        prepare_site(
            env=env,
            users=self.profile.users,
            articles=self.profile.articles,
            editor_password=self.editor_password,
        )
        # The article read cold (cache cleared), then warm: what a cache hit saves.
        article = paths.get("cached article") or "/articles/"
        pages = {
            "home": "/",
            "article list": "/articles/",
            "uncached article": article,
            "cached article": article,
            "login page": "/accounts/login/",
            "feed": "/feed/",
            "sitemap": "/sitemap.xml",
        }
        # Read cold (bench.queries clears the cache before an "uncached" label): the
        # section's and tag's own queries, and the indexes they use.
        for label in ("section page", "tag page"):
            if paths.get(label):
                pages[f"uncached {label}"] = paths[label]
        completed = subprocess.run(  # noqa: S603 - our own module, a fixed argument list
            [sys.executable, "-m", "bench.queries", *(f"{k}={v}" for k, v in pages.items())],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr[-2000:])
        return json.loads(completed.stdout.splitlines()[-1])

    def search(self, explain_urls: list[str]) -> None:
        """bench/search.py on SQLite and on each server database, one database per size."""
        found: dict[str, Any] = {}
        for vendor, url_for in search_databases(self.workdir, explain_urls).items():
            try:
                found[vendor] = self.search_on(url_for)
            except Exception as error:
                found[vendor] = {"error": f"{type(error).__name__}: {str(error)[-500:]}"}
                self.results["errors"].append(f"search {vendor}: {error}")
        self.results["search"] = found

    def search_on(self, url_for: Callable[[int], str]) -> dict[str, Any]:
        merged: dict[str, Any] = {"sizes": {}}
        for size in self.profile.search_sizes:
            env = dict(self.env, DATABASE_URL=url_for(size), CACHE_BACKEND="memory")
            ensure_database(env["DATABASE_URL"])
            manage("migrate", "--no-input", env=env)
            completed = subprocess.run(  # noqa: S603 - our own module, a fixed argument list
                [sys.executable, "-m", "bench.search", "--sizes", str(size),
                 "--runs", str(self.profile.search_runs)],
                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=3600,
                check=False,
            )  # fmt: skip
            if completed.returncode != 0:
                raise RuntimeError(completed.stderr[-3000:])
            measured = json.loads(completed.stdout.splitlines()[-1])
            merged["sizes"].update(measured.pop("sizes"))
            # The plan at the largest size is the one that matters (the loop's last).
            merged.update(measured)
        return merged


def search_databases(workdir: Path, explain_urls: list[str]) -> dict[str, Callable[[int], str]]:
    """SQLite in the scratch folder, and each server of the EXPLAIN list, a database per size.

    Their own databases (``filamenta_search_<size>``), never the demo site's:
    100,000 articles there would change every other figure. Kept between runs,
    so a second run only measures.
    """
    found: dict[str, Callable[[int], str]] = {
        "sqlite": lambda size: f"sqlite:///{workdir / f'search-{size}.sqlite3'}"
    }
    for url in explain_urls:
        if url.startswith(("postgres", "mysql")):
            vendor = "postgresql" if url.startswith("postgres") else "mysql"
            base = url.rsplit("/", 1)[0]
            found[vendor] = lambda size, base=base: f"{base}/filamenta_search_{size}"
    return found


def machine_description() -> str:
    import django

    redis_version = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [shutil.which("redis-server") or "redis-server", "--version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split(" ")[2:3]
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"Django {django.get_version()}, "
        f"redis-server {''.join(redis_version).removeprefix('v=')}"
    )


def default_http_database(workdir: Path) -> str:
    # PostgreSQL is what a VPS runs; without it the same site runs on SQLite.
    if port_open(5432):
        return DEFAULT_HTTP_DATABASE
    return f"sqlite:///{workdir / 'site.sqlite3'}"


def write_report(run: Run, *, out: Path, stem: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    drawn = charts.draw_all(run.results, out, stem)
    (out / f"{stem}.json").write_text(json.dumps(run.results, indent=1, default=str) + "\n")
    path = out / f"{stem}.md"
    path.write_text(report.render(run.results, charts=drawn))
    return path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=PROFILES, default="full")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "results")
    parser.add_argument("--tiers", default=",".join(TIERS))
    parser.add_argument(
        "--sections",
        help=f"comma-separated, of {','.join(SECTIONS)} (default: all; the tiny profile of "
        "the test suite leaves out stacks, whose rehearsals bind the rehearsals' databases)",
    )
    parser.add_argument("--http-database", help="default: PostgreSQL filamenta_bench, else SQLite")
    parser.add_argument("--explain-databases", default=",".join(DEFAULT_EXPLAIN_DATABASES))
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder and logs")
    args = parser.parse_args(argv)
    unknown = set(args.tiers.split(",")) - set(TIERS)
    if unknown:
        parser.error(f"--tiers: unknown {', '.join(sorted(unknown))}; use {', '.join(TIERS)}")
    return args


def default_sections(profile: Profile) -> list[str]:
    # The rehearsals take minutes and belong to `make rehearse`'s databases: the
    # test suite's tiny run is for the benchmark's own code paths.
    return [s for s in SECTIONS if not (profile.name == "tiny" and s == "stacks")]


def _terminate(signum: int, frame: object) -> None:
    # Unwind through every finally, so no server outlives the run.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    profile = PROFILES[args.profile]
    signal.signal(signal.SIGTERM, _terminate)
    workdir = Path(tempfile.mkdtemp(prefix="filamenta-bench-"))
    http_database = args.http_database or default_http_database(workdir)
    run = Run(profile=profile, workdir=workdir, http_database=http_database)
    sections = set((args.sections or ",".join(default_sections(profile))).split(","))
    date = dt.date.today().isoformat()
    command = "make bench" + {"full": "", "quick": " QUICK=1"}.get(profile.name, " (tiny profile)")
    stem = date if profile.name == "full" else f"{date}-{profile.name}"
    run.results["meta"] = {
        "date": date,
        "profile": profile.name,
        "command": command,
        "machine": machine_description(),
        "workers": profile.workers,
        "connections": profile.connections,
        "wrk_seconds": profile.wrk_seconds,
        "warmup_seconds": profile.warmup_seconds,
        "articles": profile.articles,
        "http_database": http_database.split("://")[0]
        .replace("postgres", "PostgreSQL")
        .replace("sqlite", "SQLite"),
        "settings": asdict(profile),
        # Other work on the machine skews every figure: the report shows how busy it was.
        "load_before": round(os.getloadavg()[0], 2),
    }
    try:
        if "http" in sections:
            run.section("http", lambda: run.http(args.tiers.split(",")))
        if "stacks" in sections:
            run.section("stacks", run.stacks)
        if "media" in sections:
            run.section("media", run.media)
        if "moving" in sections:
            run.section("moving house", run.moving)
        if "cache_ops" in sections:
            run.section("cache operations", run.cache_ops)
        if "database" in sections:
            run.section(
                "database",
                lambda: run.database([u for u in args.explain_databases.split(",") if u]),
            )
        if "search" in sections:
            run.section(
                "search", lambda: run.search([u for u in args.explain_databases.split(",") if u])
            )
    finally:
        run.results["meta"]["load_after"] = round(os.getloadavg()[0], 2)
        path = write_report(run, out=args.out, stem=stem)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report.summary_table(run.results))
    print(f"\nReport: {path}")
    if run.results["errors"]:
        print(
            f"{len(run.results['errors'])} section(s) failed:", *run.results["errors"], sep="\n  "
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
