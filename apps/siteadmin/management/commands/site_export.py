"""``manage.py site_export ARCHIVE``: the whole site in one file (site_archive.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.siteadmin.site_archive import ArchiveError, site_export


def progress_bar(stream: Any) -> tuple[Any, Any]:
    """A tqdm bar per stage on a terminal; nothing elsewhere (cron mail, cPanel's output)."""
    if not stream.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=" items", file=stream)
        bar.total = total
        bar.n = done
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return update, close


class Command(BaseCommand):
    help = (
        "Write the whole site (every model's rows, the media files, a manifest with "
        "checksums) to one archive that site_import loads on any host and database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="the file to write (replaced when whole)")
        parser.add_argument(
            "--include-sessions",
            action="store_true",
            help="carry the sign-in sessions too, so that people stay signed in after the move",
        )

    def handle(self, *args: Any, archive: Path, include_sessions: bool, **options: Any) -> None:
        update, close = progress_bar(sys.stderr)
        try:
            manifest = site_export(path=archive, include_sessions=include_sessions, progress=update)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            close()
        rows = sum(manifest.counts.values())
        self.stdout.write(
            f"Wrote {archive}: {rows:,} rows of {len(manifest.parts)} models and "
            f"{len(manifest.media):,} media files ({archive.stat().st_size:,} bytes)."
        )
        if manifest.missing_media:
            self.stderr.write(
                f"{len(manifest.missing_media):,} media files named by rows were missing from "
                f"the storage and are not in the archive (first: {manifest.missing_media[0]})."
            )
