"""The rehearsal harness: failures are reported, and what it started is always stopped."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from deploy.rehearsal.harness import Rehearsal, clean_environment
from deploy.rehearsal.web import parse_forms


@pytest.fixture
def python_ctrl_c():
    """Python's own Ctrl-C handler, whatever the runner set (pytest-xdist workers ignore it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_crash_is_a_failed_check_and_started_processes_are_stopped(tmp_path, python_ctrl_c):
    env = clean_environment()
    with Rehearsal("selftest", budget=60) as r:
        sleeper = r.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], env=env)
        r.check("a passing check", True)
        raise RuntimeError("boom")
    assert sleeper.poll() is not None  # stopped by the clean-up
    assert r.exit_code() == 1
    assert [c.ok for c in r.checks] == [True, False]
    assert "boom" in r.checks[-1].detail
    assert not r.workdir.exists()
    # The test process gets its own Ctrl-C back.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_time_limit_stops_a_rehearsal(tmp_path):
    code = (
        "import time; from deploy.rehearsal.harness import Rehearsal\n"
        "with Rehearsal('slow', budget=1) as r:\n"
        "    time.sleep(30)\n"
        "raise SystemExit(r.exit_code())\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=os.getcwd(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "time limit reached" in result.stdout
    assert time.monotonic() - started < 20


def test_all_passing_checks_exit_zero_and_no_check_is_not_a_pass():
    with Rehearsal("empty", budget=10) as empty:
        pass
    with Rehearsal("passing", budget=10) as passing:
        passing.check("one", True)
    assert (empty.exit_code(), passing.exit_code()) == (1, 0)


def test_project_variables_never_leak_into_rehearsal_servers(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://someone/else")
    monkeypatch.setenv("DJANGO_SECRET_KEY", "developer-secret")
    env = clean_environment(DEPLOYMENT_TARGET="vps")
    assert "DATABASE_URL" not in env
    assert "DJANGO_SECRET_KEY" not in env
    assert env["DEPLOYMENT_TARGET"] == "vps"


def test_forms_are_read_as_a_browser_submits_them():
    html = """
    <form id="logout-form" method="post" action="/admin/logout/">
      <input type="hidden" name="csrfmiddlewaretoken" value="t1"><button>Log out</button></form>
    <form method="post">
      <input type="hidden" name="csrfmiddlewaretoken" value="t2">
      <input name="title" value="Old &amp; tired">
      <textarea name="body">
&lt;p&gt;Hi&lt;/p&gt;</textarea>
      <select name="status"><option value="draft">D</option>
        <option value="published" selected>P</option></select>
      <input type="checkbox" name="featured" checked><input type="checkbox" name="hidden">
      <input type="submit" name="_save" value="Save">
    </form>"""
    logout, edit = parse_forms(html)
    assert logout.action == "/admin/logout/"
    assert edit.fields == {
        "csrfmiddlewaretoken": "t2",
        "title": "Old & tired",
        "body": "<p>Hi</p>",
        "status": "published",
        "featured": "on",
    }


def test_figures_are_written_with_the_failed_checks_when_asked(
    tmp_path, monkeypatch, python_ctrl_c
):
    from deploy.rehearsal.__main__ import write_figures

    with Rehearsal("selftest", budget=60) as r:
        r.check("measured", True)
        r.check("wrk: minimal view", False, "no answer")
    path = tmp_path / "figures.json"
    monkeypatch.delenv("REHEARSE_FIGURES", raising=False)
    write_figures("selftest", {"minimal view": {"rps": 1.0}}, r)
    assert not path.exists()  # only when REHEARSE_FIGURES names a file

    monkeypatch.setenv("REHEARSE_FIGURES", str(path))
    write_figures("selftest", {"minimal view": {"rps": 1.0}}, r)

    record = json.loads(path.read_text())
    assert record["figures"] == {"minimal view": {"rps": 1.0}}
    assert record["passed"] is False
    assert record["failed"] == ["wrk: minimal view: no answer"]
