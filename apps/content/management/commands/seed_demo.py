"""Fill a demo site: authors and published articles, for trying the site and for benchmarks.

Idempotent: users are ``demo-author-0001``..., articles ``demo-article-0001``...;
running it again creates only what is missing, so ``--articles 1000`` after
``--articles 100`` adds 900. Rows go in through the bulk services
(``users_create_many``, ``articles_create_many``), which sanitise, record the
history and make the cached pages stale once, when the data is committed.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from apps.content.models import Article
from apps.content.services import articles_create_many
from apps.users.roles import AUTHOR
from apps.users.services import users_create_many

# fmt: off
WORDS = (
    "filament", "lamp", "current", "glow", "voltage", "copper", "spiral", "tungsten", "bright",
    "quiet", "careful", "signal", "harbour", "lantern", "meadow", "orchard", "river", "stone",
    "timber", "window", "garden", "letter", "morning", "evening", "journey", "pattern", "market",
    "winter", "summer", "thread", "needle", "weave", "colour", "paper", "ink", "press",
)
# fmt: on
SIGN_IN_HINT = "demo authors cannot sign in until an administrator sets a password"


class Command(BaseCommand):
    help = "Create demo authors and published articles (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=5, help="demo authors (default 5)")
        parser.add_argument("--articles", type=int, default=50, help="demo articles (default 50)")
        parser.add_argument("--seed", type=int, default=1, help="random seed, for repeatable text")
        parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    def handle(self, *args: Any, users: int, articles: int, seed: int, **options: Any) -> None:
        if users < 0 or articles < 0:
            raise CommandError("--users and --articles must be 0 or more.")
        if articles and not users:
            raise CommandError("Articles need authors: give --users 1 or more.")
        rng = random.Random(seed)  # noqa: S311 - demo text, not secrets
        progress = not options["no_progress"]
        with transaction.atomic():
            authors, new_users = self._users(users, progress)
            new_articles = self._articles(articles, authors, rng, progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo site: {users} author(s), {articles} article(s); created {new_users} "
                f"user(s) and {new_articles} article(s) now ({SIGN_IN_HINT})."
            )
        )

    def _users(self, count: int, progress: bool) -> tuple[list[Any], int]:
        User = get_user_model()
        names = [f"demo-author-{n:04d}" for n in range(1, count + 1)]
        existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        # No password given: the service makes it unusable, demo accounts are never a way in.
        missing = [
            User(
                username=name,
                email=f"{name}@example.invalid",
                display_name=f"Demo Author {name[-4:]}",
            )
            for name in names
            if name not in existing
        ]
        with tqdm(total=len(missing), desc="users", unit="user",
                  disable=not progress or not missing) as bar:  # fmt: skip
            users_create_many(users=missing, role=AUTHOR, on_batch=bar.update)
        authors = list(User.objects.filter(username__in=names).order_by("username"))
        return authors, len(missing)

    def _articles(self, count: int, authors: list[Any], rng: random.Random, progress: bool) -> int:
        slugs = [f"demo-article-{n:04d}" for n in range(1, count + 1)]
        existing = set(Article.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        now = timezone.now()
        todo = [
            self._article(n, slug, authors[(n - 1) % len(authors)], rng, now)
            for n, slug in enumerate(slugs, start=1)
            if slug not in existing
        ]
        with tqdm(total=len(todo), desc="articles", unit="article",
                  disable=not progress or not todo) as bar:  # fmt: skip
            return articles_create_many(articles=todo, on_batch=bar.update)

    def _article(self, n: int, slug: str, author: Any, rng: random.Random, now) -> Article:
        title = " ".join(rng.sample(WORDS, 4)).capitalize()
        paragraphs = [
            "<p>" + " ".join(rng.choices(WORDS, k=rng.randint(30, 60))).capitalize() + ".</p>"
            for _ in range(rng.randint(2, 5))
        ]
        kind = Article.Kind.POST if n % 4 == 0 else Article.Kind.ARTICLE
        return Article(
            title=f"{title} {n}",
            slug=slug,
            body="\n".join(paragraphs),
            kind=kind,
            status=Article.Status.PUBLISHED,
            author=author,
            # An hour apart, demo-article-0001 the newest.
            published_at=now - timedelta(hours=n),
        )
