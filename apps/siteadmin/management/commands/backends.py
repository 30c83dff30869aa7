"""``manage.py backends``: the cache, session and rate-limit stores, and their live state.

By default it reports the configuration (the same settings every server
process reads, so the same tier) and the circuit breakers the running
processes on this host reported; it does not probe, so what it prints during
an incident is what the server does, not what a fresh connection would find.
``--probe`` also checks the stores now; ``--require`` does too and exits 1
when a store that CACHE_BACKEND names explicitly does not answer (the
deploy-time check of the Docker entrypoint and the systemd unit).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from filamenta.backends.checks import required_store_failure
from filamenta.backends.probe import probe
from filamenta.backends.status import workers_status
from filamenta.front_cache import front_cache_status
from filamenta.media_storage import media_storage_status


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Command(BaseCommand):
    help = (
        "Show the cache tier, why, and the circuit breaker of each running process "
        "(--probe: check the stores now; --require: fail when a required store is down)."
    )

    # It must answer during an incident: the system checks would probe (and fail
    # on) the very store the operator is looking into.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--probe", action="store_true", help="check the stores now")
        parser.add_argument(
            "--require",
            action="store_true",
            help="exit 1 when CACHE_BACKEND names a tier whose stores do not answer now",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        status = workers_status()
        # The media store as configured (no request to it), with the disk it fills.
        status["media"] = media_storage_status()
        status["front_cache"] = front_cache_status()
        failure = ""
        if options["probe"] or options["require"]:
            result = probe(settings.BACKENDS, fresh=True)
            status["probe"] = {"ok": result.ok, "detail": result.detail, "ms": result.probe_ms}
            if options["require"]:
                failure = required_store_failure(result)
        if options["json"]:
            self.stdout.write(json.dumps(status, indent=2))
        else:
            self.stdout.write(self._text(status))
        if failure:
            self.stderr.write(f"Required store down: {failure}")
            sys.exit(1)

    def _text(self, status: dict[str, Any]) -> str:
        redis = status["redis"]
        redis_line = f"{redis['location']}" if redis["configured"] else "not configured"
        if redis["configured"] and redis["state"] == "not in use":
            redis_line += " — not in use"
        lines = [
            f"Tier:         {status['tier']}",
            f"Why:          {status['reason']}",
            f"Cache:        {status['cache_backend']}",
            f"Sessions:     {status['session_engine']}",
            f"Rate limits:  {status['ratelimit_backend']}",
            f"Redis:        {redis_line}",
        ]
        if status["store"]:
            lines.append(f"Store:        {status['store']} — {status['state']}")
            if not status["workers"]:
                lines.append(
                    "Workers:      none has reported on this host (not running here, not "
                    f"served yet, or {settings.BACKEND_STATE_DIR} is not writable)"
                )
            for worker in status["workers"]:
                line = f"Worker {worker['pid']}: {worker['state']} since {_when(worker['since'])}"
                if worker["error"]:
                    line += f" ({worker['error']})"
                lines.append(line)
            lines.append("Other servers of a fleet report on their own hosts.")
        lines.extend(_media_lines(status["media"]))
        lines.extend(_front_cache_lines(status["front_cache"]))
        if "probe" in status:
            found = status["probe"]
            verdict = "answers" if found["ok"] else "DOWN"
            lines.append(f"Probe now:    {verdict}: {found['detail']} ({found['ms']:.1f} ms)")
        return "\n".join(lines)


def _front_cache_lines(front: dict[str, Any]) -> list[str]:
    """The caches in front, where their purges go, and how the last ones went."""
    purged = _when(front["last_purged_at"]) if front["last_purged_at"] else "never"
    failures = f"{front['purge_failures']} failed"
    if front["last_failure_at"]:
        failures += f", the last at {_when(front['last_failure_at'])}"
    return [
        f"Front cache:  {front['kind']}",
        f"Purges:       {', '.join(front['purge_urls']) or 'no purge URL'}; "
        f"last {purged}; {failures}",
    ]


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"


def _media_lines(media: dict[str, Any]) -> list[str]:
    """The media store: where, how URLs are made, and on a disk how full it is."""
    if media["backend"] == "s3":
        return [
            f"Media:        S3 bucket {media['bucket']}"
            + (f"/{media['prefix']}" if media["prefix"] else "")
            + f" at {media['endpoint']} ({media['region']})",
            f"Media URLs:   {media['urls']}; credentials {media['credentials']}",
        ]
    lines = [f"Media:        files in {media['location']} ({media['modes']})"]
    disk = media["disk"]
    if not disk["exists"]:
        lines.append("Media disk:   the folder does not exist yet (made at the first upload)")
    else:
        counted = "" if disk["complete"] else "at least "
        lines.append(
            f"Media disk:   {counted}{_size(disk['media_bytes'])} in {disk['media_files']} files; "
            f"{_size(disk['disk_free'])} free of {_size(disk['disk_total'])}"
        )
    return lines
