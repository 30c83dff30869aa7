"""``manage.py site_import ARCHIVE``: load a site_export archive (site_archive.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.siteadmin.management.commands.site_export import progress_bar
from apps.siteadmin.site_archive import ArchiveError, read_manifest, site_contents, site_import


class Command(BaseCommand):
    help = (
        "Load a site_export archive into this site's migrated, empty database (all or "
        "nothing), copy its media files into this site's storage and reset the caches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="the file site_export wrote")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete this site's content first (asks for confirmation unless --yes)",
        )
        parser.add_argument(
            "--yes", action="store_true", help="do not ask before deleting (for scripts)"
        )

    def handle(self, *args: Any, archive: Path, replace: bool, yes: bool, **options: Any) -> None:
        try:
            manifest = read_manifest(path=archive)
            if replace:
                self._confirm(site_contents(), yes=yes)
            self.stdout.write(
                f"Archive of {manifest.created_at}: Filamenta {manifest.filamenta_version}, "
                f"Django {manifest.django_version}, from {manifest.source_vendor}."
            )
            update, close = progress_bar(sys.stderr)
            try:
                report = site_import(path=archive, replace=replace, progress=update)
            finally:
                close()
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Imported {archive}."))

    def _confirm(self, contents: dict[str, int], *, yes: bool) -> None:
        if not contents:
            return
        self.stdout.write("--replace deletes this site's content first:")
        for label, count in contents.items():
            self.stdout.write(f"  {count:,} {label}")
        self.stdout.write("Media files already stored are kept.")
        if yes:
            return
        if not sys.stdin.isatty():
            raise CommandError(
                "Refusing to delete without confirmation: run it on a terminal, or add --yes."
            )
        answer = input("Type 'yes' to delete all of it and import: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Nothing was changed.")
