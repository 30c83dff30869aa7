"""The whole benchmark, end to end, in its tiny profile: every section runs and reports.

No figure is asserted (speed is for the report); what is asserted is that each
section measured something, counted correctly, and cleaned up after itself.
"""

import json
import os
import shutil
import subprocess
import sys
import uuid

import psutil
import pytest

from tests.conftest import PROJECT_ROOT
from tests.services import services_required

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def require_program(name: str) -> None:
    if shutil.which(name):
        return
    message = f"{name} is not installed (make bench-system-deps installs it)"
    if services_required():
        pytest.fail(message)
    pytest.skip(message)


def _has_mark(process: psutil.Process, mark: str) -> bool:
    try:
        return process.environ().get("BENCH_TEST_MARK") == mark
    except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    require_program("wrk")
    require_program("redis-server")
    out = tmp_path_factory.mktemp("results")
    data = tmp_path_factory.mktemp("data")
    # Every process the run starts inherits this mark; other work on the machine does not.
    mark = f"bench-test-{uuid.uuid4().hex}"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--profile",
            "tiny",
            "--out",
            str(out),
            "--http-database",
            f"sqlite:///{data / 'site.sqlite3'}",
            "--explain-databases",
            f"sqlite:///{data / 'explain.sqlite3'}",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_TEST_MARK": mark},
        timeout=600,
        check=False,
    )
    leftovers = [p.cmdline() for p in psutil.process_iter() if _has_mark(p, mark)]
    (json_path,) = out.glob("*-tiny.json")
    return {
        "completed": completed,
        "results": json.loads(json_path.read_text()),
        "out": out,
        "leftovers": leftovers,
    }


def test_run_succeeds_and_leaves_no_server_behind(tiny_run):
    completed = tiny_run["completed"]

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert tiny_run["results"]["errors"] == []
    assert tiny_run["leftovers"] == []


def test_every_tier_and_page_was_loaded_without_error(tiny_run):
    http = tiny_run["results"]["http"]

    assert set(http) == {"redis", "file", "memory"}
    for pages in http.values():
        assert set(pages) == {
            "minimal view",
            "home",
            "cached article",
            "stock cache_page article",
            "featured article",
            "uncached article",
            "article list",
            "section page",
            "tag page",
            "uncached section page",
            "uncached tag page",
            "login page",
        }
        assert all(load["requests"] > 0 and load["errors"] == 0 for load in pages.values())


def test_media_figures_are_measured(tiny_run):
    media = tiny_run["results"]["media"]

    assert len(media["upload"]["upload_ms"]) == 1
    weight = media["page_weight"]
    # A 1280 px window, a 44rem (704 px) slot: the 960 px WebP rendition.
    assert weight["image"]["width"] == 960
    assert weight["image"]["format"] == "webp"
    assert weight["total_bytes"] == weight["html_bytes"] + weight["image"]["bytes"]
    assert "## Media" in next(tiny_run["out"].glob("*-tiny.md")).read_text()


def test_memory_is_read_for_each_worker(tiny_run):
    memory = tiny_run["results"]["memory"]

    assert {tier: len(rss) for tier, rss in memory.items()} == {"redis": 2, "file": 2, "memory": 2}
    assert all(mb > 10 for rss in memory.values() for mb in rss)


def test_outage_has_requests_in_every_phase(tiny_run):
    phases = tiny_run["results"]["outage"]["phases"]

    assert all(phases[phase]["requests"] > 0 for phase in ("before", "during", "after"))


def test_locust_scenarios_ran_and_the_editor_signed_in(tiny_run):
    for tier, rows in tiny_run["results"]["locust"].items():
        names = {row["name"]: row for row in rows}
        assert names["Aggregated"]["requests"] > 0, tier
        # The tiny profile runs Locust until each scenario has run (or a time-out).
        assert "/admin/login/ [editor signs in]" in names, (tier, sorted(names))
        assert names["/admin/login/ [editor signs in]"]["failures"] == 0, tier
        assert "/accounts/login/ [wrong password]" in names, tier


def test_shared_stores_count_every_increment(tiny_run):
    stores = tiny_run["results"]["cache_ops"]["exactness"]["stores"]

    shared = [label for label in stores if label.startswith(("redis tier", "file tier"))]
    shared += [label for label in stores if "counters" in label]

    assert len(shared) == 3
    for label in shared:
        assert stores[label]["count"] == stores[label]["expected"], label
        assert stores[label]["error"] == 0, label


def test_cache_operations_measured_for_every_store_and_size(tiny_run):
    ops = tiny_run["results"]["cache_ops"]["ops"]

    assert len(ops) == 7
    for store, sizes in ops.items():
        assert set(sizes) == {"100", "300"}, store
        assert all(sizes[size]["get"] > 0 and sizes[size]["incr"] > 0 for size in sizes), store


def test_queries_are_counted_and_explained(tiny_run):
    pages = tiny_run["results"]["database"]["sqlite"]["pages"]

    assert {page["status"] for page in pages.values()} == {200}
    assert pages["cached article"]["queries"] < pages["uncached article"]["queries"]
    # The section and tag pages are read cold, their own queries explained.
    for label in ("uncached section page", "uncached tag page"):
        reads = [s for s in pages[label]["selects"] if "content_article" in s["tables"]]
        assert len(reads) >= 3, label


def test_report_and_charts_are_written(tiny_run):
    out = tiny_run["out"]
    (report,) = out.glob("*-tiny.md")
    text = report.read_text()
    charts = sorted(out.glob("*.png"))

    assert "## Targets" in text
    assert "## Closing note" in text
    assert len(charts) == 5
    assert all(chart.read_bytes().startswith(PNG_MAGIC) for chart in charts)
    assert all(f"]({chart.name})" in text for chart in charts)


def test_the_test_suite_s_tiny_bench_leaves_the_rehearsals_out():
    from bench.run import PROFILES, default_sections

    assert "stacks" in default_sections(PROFILES["quick"])
    assert "stacks" in default_sections(PROFILES["full"])
    assert "stacks" not in default_sections(PROFILES["tiny"])
