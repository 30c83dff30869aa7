"""``manage.py site_export ARCHIVE``: the whole site in one file (site_archive.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.siteadmin.backups import backup_rotate
from apps.siteadmin.site_archive import ArchiveError, read_manifest, site_export


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
        parser.add_argument(
            "archive", type=Path, nargs="?", help="the file to write (replaced when whole)"
        )
        parser.add_argument(
            "--include-sessions",
            action="store_true",
            help="carry the sign-in sessions too, so that people stay signed in after the move",
        )
        parser.add_argument(
            "--rotate",
            type=Path,
            metavar="DIR",
            help="instead of ARCHIVE: write a dated archive into DIR (for cron)",
        )
        parser.add_argument(
            "--keep", type=int, default=7, help="with --rotate: how many archives to keep (7)"
        )

    def handle(
        self,
        *args: Any,
        archive: Path | None,
        include_sessions: bool,
        rotate: Path | None,
        keep: int,
        **options: Any,
    ) -> None:
        if (archive is None) == (rotate is None):
            raise CommandError("Give either ARCHIVE or --rotate DIR (not both).")
        if rotate is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        update, close = progress_bar(sys.stderr)
        removed: list[Path] = []
        try:
            if rotate is not None:
                archive, removed = backup_rotate(
                    directory=rotate, keep=keep, include_sessions=include_sessions, progress=update
                )
                manifest = read_manifest(path=archive)
            else:
                manifest = site_export(
                    path=archive, include_sessions=include_sessions, progress=update
                )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            close()
        for old in removed:
            self.stdout.write(f"Removed the older backup {old}.")
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
