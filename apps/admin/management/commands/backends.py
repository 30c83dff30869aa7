"""``manage.py backends``: which cache, session and rate-limit stores this site uses, and why."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from filamenta.backend_status import backend_status


class Command(BaseCommand):
    help = "Show the cache tier chosen at start-up, the reason, and the Redis circuit state."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        status = backend_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, indent=2))
            return
        redis = status["redis"]
        redis_line = (
            f"{redis['location']} — {redis['state']}" if redis["configured"] else "not configured"
        )
        self.stdout.write(
            f"Tier:         {status['tier']} (probe took {status['probe_ms']:.1f} ms)\n"
            f"Why:          {status['reason']}\n"
            f"Cache:        {status['cache_backend']}\n"
            f"Sessions:     {status['session_engine']}\n"
            f"Rate limits:  {status['ratelimit_backend']}\n"
            f"Redis:        {redis_line}"
        )
