"""The Markdown report and the charts, from results shaped like a run's."""

from bench.charts import draw_all
from bench.report import render, summary_table
from tests.bench.factories import load, results

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_report_states_targets_and_says_which_were_missed():
    run = results(hints=["the article template runs two queries on a cache hit"])
    run["http"]["memory"]["cached article"] = load(500)

    text = render(run, charts=[])

    assert "## Targets" in text
    assert "**MISSED**" in text
    assert "Missed: cached article ≥ 70 % of the minimal-view ceiling (memory)" in text
    assert "the article template runs two queries" in text
    assert "| redis | cached article | 800 |" in text


def test_report_of_a_run_meeting_every_target_has_no_missed_line():
    text = render(results(), charts=[])

    assert "MISSED" not in text
    assert "Every target measured in this run was met." in text


def test_summary_table_lists_pages_and_verdicts():
    table = summary_table(results())

    assert "cached article" in table
    assert "met  each worker < 80 MB resident [memory]" in table


def test_charts_are_png_files(tmp_path):
    run = results(
        cache_ops={
            "ops": {"LocMemCache": {"100": {"get": 1e5, "set": 9e4, "incr": 8e4, "get_many": 2e4}}}
        }
    )

    paths = draw_all(run, tmp_path, "2026-01-01")

    assert {p.name.split("2026-01-01-")[1] for p in paths} == {
        "http-throughput.png",
        "http-latency.png",
        "cache-ops.png",
        "redis-outage.png",
        "worker-memory.png",
    }
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in paths)


def test_the_section_and_tag_pages_plans_are_in_the_report():
    select = {
        "sql": 'SELECT "content_article"."id", "content_article"."title" FROM "content_article" '
        'INNER JOIN "content_taggedarticle" ON (...)',
        "tables": ["content_article", "content_taggedarticle"],
        "indexes": ["content_tagged_unique", "content_article_pkey"],
        "full_scans": [],
        "plan": ["Nested Loop", "  ->  Index Only Scan using content_tagged_unique on ..."],
    }
    next_change = {**select, "sql": 'SELECT "content_article"."unpublish_at" FROM "x"'}
    page = {"path": "/tags/glow/", "status": 200, "queries": 12,
            "selects": [next_change, select]}  # fmt: skip
    run = results()
    run["database"] = {"postgresql": {"server": "PostgreSQL 15", "pages": {
        "uncached tag page": page}}}  # fmt: skip

    text = render(run, charts=[])

    assert "postgresql, uncached tag page (`/tags/glow/`)" in text
    assert (
        "- rows from content_article + content_taggedarticle: indexes content_tagged_unique" in text
    )
    assert "  ->  Index Only Scan using content_tagged_unique on ..." in text
    assert text.count("- rows from") == 1


def test_each_stack_has_its_table_and_a_failed_rehearsal_keeps_its_figures():
    run = results()
    run["stacks"] = {
        "cpanel": {"exit": 1, "failed": ["wrk: passenger hit 10 req/s: {...}"]},
        "vps": {"exit": 0, "failed": []},
    }

    text = render(run, charts=[])

    assert "### cPanel: Apache + Passenger" in text
    assert "### VPS: nginx + gunicorn" in text
    assert "**The rehearsal failed** (exit 1)" in text
    assert "- wrk: passenger hit 10 req/s" in text
    # The failed rehearsal's figures are still in its table, and the other stack's too.
    assert "| Apache's static copy of the page (public/_pages) | 12,000 |" in text
    assert "| the page from nginx's front cache (HIT) | 10,000 | 3.3 | 10.0 | 0 | 10.0x |" in text
    assert "0 errors in 5,000 requests" in text
    assert text.count("**The rehearsal failed**") == 1


def test_a_missed_stack_target_is_explained_by_that_stack_s_latencies():
    run = results()
    run["cpanel"]["static page"] = load(8000, p99=3.0)

    text = render(run, charts=[])

    assert "Missed: Apache's static page ≥ 10x the minimal Django view" in text
    assert "- cPanel: Apache + Passenger: the static page answered in 1.00 ms at p50" in text
    assert "the front cache hit answered" not in text  # the VPS target was met
