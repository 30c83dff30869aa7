"""Sessions are shared by every process on every tier: never a per-process copy."""

from __future__ import annotations

import pytest

from tests.filamenta.backends.helpers import SessionWorker, run_worker, tier_env


@pytest.mark.parametrize("tier", ["redis", "file", "memory"])
def test_two_processes_see_each_others_session_changes(tier, clean_env, tmp_path, request):
    redis_url = request.getfixturevalue("redis_server").url if tier == "redis" else ""
    env = tier_env(clean_env, tmp_path, tier, redis_url)
    run_worker("migrate", env=env)
    first, second = SessionWorker(env), SessionWorker(env)
    try:
        session_key = first.ask("new one")
        assert second.ask(f"use {session_key}") == "ok"
        assert second.ask("read") == "one"
        # The second process has read (and may have cached) "one"; a change
        # made by the first must reach it.
        assert first.ask("write two") == "ok"
        assert second.ask("read") == "two"
        assert second.ask("write three") == "ok"
        assert first.ask("read") == "three"
    finally:
        first.close()
        second.close()
