"""``manage.py prune_revisions --keep N``: keep the newest N revisions of each article.

Revisions are kept on every save, so a busy article grows a long tail; this
trims it (``revisions_prune``: in batches, never an article's latest revision,
one history entry). Safe to run from cron or by hand, as often as wanted.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.content.services import revisions_prune

DEFAULT_KEEP = 50


def _keep(raw: str) -> int:
    # Checked here rather than by argparse's type=int, so that a bad value is a
    # CommandError naming the option (exit 1 and one line),.
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1 or len(text) > 9:
        raise CommandError(
            f"--keep must be a whole number of 1 or more (an article's latest revision "
            f"always stays); got {raw!r}."
        )
    return int(text)


class Command(BaseCommand):
    help = (
        "Delete old article revisions, keeping the newest --keep "
        f"(default {DEFAULT_KEEP}) of each article; the latest always stays."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep",
            default=str(DEFAULT_KEEP),
            metavar="N",
            help=f"how many revisions of each article to keep, 1 or more (default {DEFAULT_KEEP})",
        )

    def handle(self, *args: Any, keep: str, **options: Any) -> None:
        kept = _keep(str(keep))
        count = revisions_prune(keep=kept)
        self.stdout.write(f"Deleted {count} old revision(s); each article keeps its newest {kept}.")
