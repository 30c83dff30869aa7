"""Fill a demo site: authors and published articles, for trying the site and for benchmarks.

Idempotent: users are ``demo-author-0001``..., articles ``demo-article-0001``...;
running it again creates only what is missing, so ``--articles 1000`` after
``--articles 100`` adds 900. Rows go in through the bulk services
(``users_create_many``, ``articles_create_many``), which sanitise, record the
history and make the cached pages stale once, when the data is committed.

Every demo article is in one of ``DEMO_SECTIONS`` and has three tags (words
of ``WORDS``), given in bulk by ``articles_classify_many``, also to demo
articles an older seed_demo made without them: the benchmark loads section
and tag pages.

Every fifth article from the second on (``demo-article-0002``, ``-0007``...)
gets a featured image: one of ``DEMO_PICTURES`` pictures drawn with Pillow
(nothing downloaded), uploaded once through ``media_upload`` (so they get
their renditions like any upload). New articles get theirs in the bulk write;
demo articles an older seed_demo made without one get it through
``article_update``.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from tqdm import tqdm

from apps.content.models import Article, Section
from apps.content.services import (
    article_update,
    articles_classify_many,
    articles_create_many,
    section_create,
)
from apps.media.models import MediaItem
from apps.media.services import media_upload
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
# Every demo article is in one of these (in turn) and has three of WORDS as tags.
DEMO_SECTIONS = ("Lamps", "Wiring", "Workshop", "Stories", "Notes")
SIGN_IN_HINT = "demo authors cannot sign in until an administrator sets a password"
DEMO_PICTURES = 3
# Wide enough for every rendition width (1600 px), the proportions of a photo.
PICTURE_SIZE = (2400, 1350)
COLOURS = ((11, 92, 173), (173, 72, 11), (40, 140, 90), (120, 60, 150))


def demo_picture_bytes(n: int) -> bytes:
    """Picture ``n``: a two-colour gradient with a few discs, as a JPEG, the same every run."""
    width, height = PICTURE_SIZE
    top, bottom = COLOURS[n % len(COLOURS)], COLOURS[(n + 1) % len(COLOURS)]
    mask = Image.linear_gradient("L").resize(PICTURE_SIZE)
    image = Image.composite(
        Image.new("RGB", PICTURE_SIZE, bottom), Image.new("RGB", PICTURE_SIZE, top), mask
    )
    draw = ImageDraw.Draw(image)
    rng = random.Random(n)  # noqa: S311 - shapes, not secrets
    for _ in range(6):
        x, y, r = rng.randrange(width), rng.randrange(height), rng.randrange(80, 320)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=COLOURS[rng.randrange(len(COLOURS))])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


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
            featured = self._featured_images_missing(articles)
            self._classify(articles)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo site: {users} author(s), {articles} article(s); created {new_users} "
                f"user(s) and {new_articles} article(s) now, {featured} older article(s) given "
                f"a featured image ({SIGN_IN_HINT})."
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
        new = [n for n, slug in enumerate(slugs, start=1) if slug not in existing]
        pictures = self._pictures() if any(self._has_picture(n) for n in new) else []
        todo = [
            self._article(n, slugs[n - 1], authors[(n - 1) % len(authors)], rng, now) for n in new
        ]
        for n, article in zip(new, todo, strict=True):
            if self._has_picture(n):
                article.featured_image = pictures[n % len(pictures)]
        with tqdm(total=len(todo), desc="articles", unit="article",
                  disable=not progress or not todo) as bar:  # fmt: skip
            return articles_create_many(articles=todo, on_batch=bar.update)

    def _pictures(self) -> list[MediaItem]:
        titles = [f"Demo picture {n}" for n in range(1, DEMO_PICTURES + 1)]
        found = {
            item.title: item
            for item in MediaItem.objects.filter(
                title__in=titles, kind=MediaItem.Kind.IMAGE, uploaded_by=None
            )
        }
        for n, title in enumerate(titles, start=1):
            if title not in found:
                found[title] = media_upload(
                    file=SimpleUploadedFile(f"demo-picture-{n}.jpg", demo_picture_bytes(n)),
                    title=title,
                    alt_text=f"Demo picture {n}: a colour gradient with discs",
                    by=None,
                )
        return [found[title] for title in titles]

    @staticmethod
    def _has_picture(n: int) -> bool:
        return n % 5 == 2

    def _featured_images_missing(self, count: int) -> int:
        """Pictures for demo articles made before seed_demo gave any; returns how many."""
        slugs = [f"demo-article-{n:04d}" for n in range(1, count + 1) if self._has_picture(n)]
        missing = list(Article.objects.filter(slug__in=slugs, featured_image=None))
        if not missing:
            return 0
        pictures = self._pictures()
        for article in missing:
            n = int(article.slug.rsplit("-", 1)[1])
            article_update(article=article, by=None, featured_image=pictures[n % len(pictures)])
        return len(missing)

    @staticmethod
    def demo_tags(n: int) -> list[str]:
        """Article ``n``'s three tags, the same every run: each word tags one article in twelve."""
        return sorted(random.Random(n).sample(WORDS, 3))  # noqa: S311 - demo tags

    def _classify(self, count: int) -> None:
        """A section and tags for each demo article without them (older seeds made none)."""
        sections = [
            Section.objects.filter(name=name).first() or section_create(name=name)
            for name in DEMO_SECTIONS
        ]
        slugs = [f"demo-article-{n:04d}" for n in range(1, count + 1)]
        no_section = set(
            Article.objects.filter(slug__in=slugs, section=None).values_list("slug", flat=True)
        )
        untagged = set(
            Article.objects.filter(slug__in=slugs, tagged_items=None).values_list("slug", flat=True)
        )
        articles_classify_many(
            sections={s: sections[int(s[-4:]) % len(sections)] for s in sorted(no_section)},
            tags={s: self.demo_tags(int(s[-4:])) for s in sorted(untagged)},
        )

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
