"""The moving-house figures: one tiny real move measured, and the verdicts and report on them."""

from __future__ import annotations

import secrets

import pytest

from bench.moving import measure_move, parse_pairs
from bench.report import moving_section
from bench.site import base_env
from bench.targets import evaluate
from tests.bench.factories import results


def test_a_tiny_move_is_measured_and_its_counts_match(tmp_path):
    env = base_env(workdir=tmp_path, secret_key=secrets.token_urlsafe(50))

    run = measure_move(
        articles=5, users=2, source="sqlite", target="sqlite", workdir=tmp_path, env=env
    )

    assert run["counts_match"] is True
    assert run["export_peak_mb"] > 10
    assert run["import_peak_mb"] > 10
    assert run["export_seconds"] > 0
    assert run["import_seconds"] > 0
    assert run["archive_bytes"] > 1000


def _verdicts(run):
    return {
        v.target: v.met
        for v in evaluate(run)
        if v.target.startswith(("site_export", "site_import"))
    }


def test_the_targets_are_judged_at_100000_articles():
    assert set(_verdicts(results()).values()) == {True}

    heavy = results()
    heavy["moving"]["runs"][0].update(import_peak_mb=180.0, import_seconds=130.0)
    assert set(_verdicts(heavy).values()) == {False}

    small = results()
    small["moving"]["runs"][0]["articles"] = 10_000
    assert set(_verdicts(small).values()) == {None}


def test_a_move_whose_counts_differ_misses_the_import_target():
    run = results()
    run["moving"]["runs"][0]["counts_match"] = False

    assert _verdicts(run)["site_import < 2 minutes"] is False


def test_the_report_states_the_moving_figures():
    text = "\n".join(moving_section(results()))

    assert "mariadb → postgresql" in text
    assert "80.4 s" in text
    assert "102 MB" in text


def test_pairs_name_known_vendors_only():
    assert parse_pairs("sqlite:postgresql,mariadb:postgresql") == [
        ("sqlite", "postgresql"),
        ("mariadb", "postgresql"),
    ]
    with pytest.raises(SystemExit, match="oracle"):
        parse_pairs("oracle:postgresql")
