"""The verdicts against the benchmark's targets, on results made to pass or to miss each one."""

from bench.targets import evaluate
from tests.bench.factories import load, results


def by_scope(verdicts, target_start):
    return {v.scope: v.met for v in verdicts if v.target.startswith(target_start)}


def test_all_targets_met():
    verdicts = evaluate(results())

    assert verdicts
    assert all(v.met is True for v in verdicts), [v for v in verdicts if v.met is not True]


def test_cached_article_below_its_tier_s_share_of_the_ceiling_is_missed():
    run = results()  # cached 800 of 1000 everywhere: exactly the shared tiers' 80 %
    run["http"]["file"]["cached article"] = load(790)
    run["http"]["memory"]["cached article"] = load(700)

    verdicts = evaluate(run)

    assert by_scope(verdicts, "cached article ≥ 80") == {"redis": True, "file": False}
    assert by_scope(verdicts, "cached article ≥ 70") == {"memory": True}


def test_cached_article_against_django_s_cache_page():
    run = results()
    run["http"]["redis"]["stock cache_page article"] = load(600)  # 800 / 600 = 1.33x
    run["http"]["file"]["stock cache_page article"] = load(700)  # 1.14x
    run["http"]["memory"]["stock cache_page article"] = load(800)  # 1.0x

    verdicts = evaluate(run)

    assert by_scope(verdicts, "cached article ≥ 1.3x") == {"redis": True, "file": False}
    assert by_scope(verdicts, "cached article ≥ 1x") == {"memory": True}


def test_cached_article_under_three_times_uncached_is_missed():
    run = results()
    run["http"]["redis"]["uncached article"] = load(300)

    assert by_scope(evaluate(run), "cached article ≥ 3x")["redis"] is False


def test_file_tier_more_than_twice_slower_than_redis_is_missed():
    run = results()
    run["http"]["file"]["cached article"] = load(399)

    assert by_scope(evaluate(run), "file tier")["file vs redis"] is False


def test_an_error_or_a_slow_p99_during_the_outage_is_missed():
    run = results()
    run["outage"]["phases"]["during"]["errors"] = 1
    run["outage"]["phases"]["during"]["p99_ms"] = 60  # exactly 3x the 20 ms before

    verdicts = evaluate(run)

    assert by_scope(verdicts, "no error")["redis outage"] is False
    assert by_scope(verdicts, "p99 < 3x")["redis outage"] is False


def test_a_worker_at_80_mb_is_missed():
    run = results()
    run["memory"]["memory"] = [57.0, 80.0]

    assert by_scope(evaluate(run), "each worker")["memory"] is False


def test_sections_that_did_not_run_are_not_measured_rather_than_met():
    verdicts = evaluate({"http": {}, "memory": {}})

    assert verdicts
    assert {v.met for v in verdicts} == {None}


def test_a_featured_image_costing_more_than_ten_percent_is_missed():
    run = results()
    run["http"]["memory"]["featured article"] = load(710)

    verdicts = by_scope(evaluate(run), "cached article with a featured image")

    assert verdicts == {"redis": True, "file": True, "memory": False}


def test_apache_static_page_under_ten_times_the_minimal_view_is_missed():
    run = results()
    run["cpanel"]["static page"] = load(9000)

    verdicts = by_scope(evaluate(run), "Apache's static page")

    assert verdicts == {"cPanel: Apache + Passenger": False}


def test_apache_s_ceiling_is_shown_beside_the_static_page_and_never_decides_it():
    run = results()
    run["cpanel"]["static page"] = load(9000)
    run["cpanel"]["plain file"] = load(32000)

    [verdict] = [v for v in evaluate(run) if v.target.startswith("Apache's static page")]

    assert verdict.met is False
    assert "9.0x (9,000 vs 1,000 req/s" in verdict.measured
    assert "no .htaccess or Passenger 32,000 req/s (32.0x)" in verdict.measured


def test_publish_to_visible_over_a_second_is_missed_and_absent_is_not_measured():
    run = results()
    run["cpanel"]["publish_to_visible_s"] = 1.5
    assert by_scope(evaluate(run), "an edit visible")["cPanel: Apache + Passenger"] is False
    run["cpanel"] = {}
    assert by_scope(evaluate(run), "an edit visible")["cPanel: Apache + Passenger"] is None


VPS = "VPS: nginx + gunicorn"


def test_front_cached_page_under_ten_times_the_minimal_view_is_missed():
    run = results()
    assert by_scope(evaluate(run), "nginx's front-cached page") == {VPS: True}  # exactly 10x
    run["vps"]["front cache hit"] = load(9990)

    assert by_scope(evaluate(run), "nginx's front-cached page") == {VPS: False}


def test_vps_publish_to_visible_over_a_second_is_missed():
    run = results()
    run["vps"]["publish_to_visible_s"] = 1.2

    verdicts = by_scope(evaluate(run), "an edit visible")

    assert verdicts == {"cPanel: Apache + Passenger": True, VPS: False}


def test_an_error_during_the_gunicorn_restart_is_missed():
    run = results()
    run["vps"]["restart"]["errors"] = 1

    assert by_scope(evaluate(run), "0 errors for anonymous readers") == {VPS: False}


def test_a_restart_shorter_than_ten_seconds_or_without_readers_is_missed():
    run = results()
    run["vps"]["restart"]["down_s"] = 9.5
    assert by_scope(evaluate(run), "0 errors for anonymous readers") == {VPS: False}
    run["vps"]["restart"].update(down_s=10.5, requests=0)
    assert by_scope(evaluate(run), "0 errors for anonymous readers") == {VPS: False}


def test_a_vps_rehearsal_that_did_not_run_is_not_measured():
    run = results()
    run["vps"] = {}

    verdicts = [v for v in evaluate(run) if v.scope == VPS]

    assert len(verdicts) == 3
    assert {v.met for v in verdicts} == {None}
