"""Search figures: how long ``article_search`` takes at 10,000 and 100,000 articles.

``python -m bench.search --sizes 10000,100000 --runs 40`` runs inside Django
(the bench settings and the database of ``DATABASE_URL``) and prints JSON for
the runner: for each size, the median and p95 of a one-word, a three-word and a
no-match query through the selector with its cache bypassed
(``use_cache=False``: what a miss costs), and on PostgreSQL and MariaDB the
EXPLAIN of the search query with the indexes it uses.

The articles are seeded through ``articles_create_many`` (no revisions), so
they are indexed the way every write is: the database's own triggers or
indexes. Each article is made from its number alone (a seeded random draw), so
a database keeps its articles between runs and only the missing ones are added.
Bodies are 120 to 400 words drawn with Zipf's law (a word's frequency falls
with its rank, as in real text) from English and French words and a long tail
of rarer made-up words; titles are 3 to 8 of them. On PostgreSQL the table is
vacuumed and analysed before timing, what autovacuum does in time after a bulk
load (the search's date windows read the status/date index alone once the
visibility map is set).

The queries are the content words ("garden", "maison"...: ranks 130 to 270 of
6,000, after the function words), each run drawn anew, so no run is served by
the page the previous one warmed: a one-word query matches a tenth to a fifth
of the articles, where ranking the matches (not finding them) would be the
work; the selector ranks at most ``RANKED_MAX`` of them, so ``median_matches``
is that bound for those queries.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

SLUG_PREFIX = "search-bench-"
BATCH = 2_000
ENGLISH_TEXT = (
    "the of and to in is that for it with as was on be by this are from at or have an they "
    "which one you were all we her she there would their will when who him been has more if "
    "no out so said what up its about into than them can only other new some could time "
    "these two may then do first any my now such like our over man me even most made after "
    "also did many before must through back years where much your way well down should "
    "because each just those people how too little state good very make world still own see "
    "men work long get here between both life being under never day same another know while "
    "last might us great old year off come since against go came right used take three "
    "garden river market winter summer music history science school village mountain kitchen "
    "letter window harvest station bridge library forest island painting theatre engine "
    "weather journey festival harbour cathedral orchard meadow lantern"
)
FRENCH_TEXT = (
    "le la les de des du un une et est dans pour que qui pas sur au avec il elle nous vous "
    "ils plus par mais ou son sa ses leur comme tout bien être avoir faire dire aller voir "
    "maison jardin rivière marché hiver été musique histoire école village montagne cuisine "
    "lettre fenêtre récolte gare pont bibliothèque forêt île peinture théâtre moteur temps "
    "voyage fête port cathédrale verger prairie lanterne château élève café boulangerie "
    "fromage vendange soleil nuage chemin place quartier"
)
ENGLISH = ENGLISH_TEXT.split()
FRENCH = FRENCH_TEXT.split()
SYLLABLES = "ka lo mi ne ru ta vo si pe dra gon fel mar tis qua bel zor nix"
TAIL = 6_000  # made-up words: the long tail of names and rare terms


def vocabulary() -> list[str]:
    """Real words first (the frequent ones), then the made-up tail, in rank order."""
    rng = random.Random(1)  # noqa: S311 - made-up text, not secrets
    syllables = SYLLABLES.split()
    words = list(dict.fromkeys(ENGLISH + FRENCH))
    # Real words interleaved, so French and English share the frequent ranks.
    english, french = [w for w in words if w in ENGLISH], [w for w in words if w not in ENGLISH]
    ranked = [w for pair in zip(english, french, strict=False) for w in pair]
    ranked += english[len(french) :] + french[len(english) :]
    seen, wanted = set(ranked), len(ranked) + TAIL
    while len(ranked) < wanted:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            ranked.append(word)
    return ranked


class Writer:
    """Articles from their number: the same text for the same number on every run."""

    def __init__(self) -> None:
        self.words = vocabulary()
        self.cumulative = list(
            itertools.accumulate(1 / rank for rank in range(1, len(self.words) + 1))
        )

    def text(self, rng: random.Random, count: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.cumulative, k=count))

    def article(self, number: int, *, now: Any) -> Any:
        from apps.content.models import Article

        rng = random.Random(number)  # noqa: S311 - the same text every run
        paragraphs = [self.text(rng, rng.randint(40, 100)) for _ in range(rng.randint(3, 4))]
        # One in twenty a draft: search must filter, not only match.
        status = Article.Status.DRAFT if number % 20 == 0 else Article.Status.PUBLISHED
        return Article(
            title=self.text(rng, rng.randint(3, 8)).capitalize(),
            slug=f"{SLUG_PREFIX}{number:06d}",
            # No markup: articles_create_many reads the media links of bodies with tags, one
            # query per article; the words are what search sees either way.
            body="\n\n".join(paragraphs),
            status=status,
            published_at=now - timedelta(minutes=number),
        )


def seed(size: int, *, writer: Writer) -> int:
    """Make the benchmark's articles 1..size exist; returns how many were added."""
    from django.utils import timezone

    from apps.content.models import Article
    from apps.content.services import articles_create_many

    have = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if have > size:
        raise RuntimeError(
            f"the database holds {have:,} benchmark articles, more than {size:,}: "
            "each size needs a database of its own (the runner names one per size)"
        )
    now = timezone.now()
    added = 0
    for start in range(have + 1, size + 1, BATCH):
        numbers = range(start, min(size, start + BATCH - 1) + 1)
        added += articles_create_many(
            articles=[writer.article(n, now=now) for n in numbers], keep_revisions=False
        )
    return added


def query_words() -> list[str]:
    """What people search for: the content words (nouns, after the function words), 4+ letters."""
    english = ENGLISH[ENGLISH.index("garden") :]
    french = FRENCH[FRENCH.index("maison") :]
    return [w for w in dict.fromkeys(english + french) if len(w) >= 4]


def queries(writer: Writer, runs: int) -> dict[str, list[str]]:
    rng = random.Random(7)  # noqa: S311 - the same queries every run
    words = query_words()
    return {
        "one word": [rng.choice(words) for _ in range(runs)],
        "three words": [" ".join(rng.sample(words, 3)) for _ in range(runs)],
        "no match": [f"zqxj{n}vbw" for n in range(runs)],
    }


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the value ``share`` of the runs took at most."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_queries(texts: list[str]) -> dict[str, Any]:
    from apps.content.search import article_search

    article_search(query=texts[0], use_cache=False)  # the connection and its first plan
    times, matches = [], []
    for text in texts:
        started = time.perf_counter()
        page = article_search(query=text, use_cache=False)
        times.append((time.perf_counter() - started) * 1000)
        matches.append(page.count if page else 0)
    return {
        "runs": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "max_ms": round(max(times), 2),
        "median_matches": int(statistics.median(matches)),
    }


def explain_search(text: str) -> dict[str, Any]:
    """The database's plan for the first page of ``text``, and the indexes it names."""
    from django.db import connection

    from apps.content.search import search_page_sql
    from bench.queries import explain_plan

    found = search_page_sql(text)
    if found is None:
        return {"plan": [], "indexes": [], "full_scans": []}
    sql, params = found
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        if connection.vendor == "mysql":
            names = [column[0] for column in cursor.description]
            rows: list[Any] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            plan = [" ".join(f"{k}={v}" for k, v in row.items() if v is not None) for row in rows]
        else:
            rows = [str(row[-1]) for row in cursor.fetchall()]
            plan = list(rows)
    return {"query": text, "plan": plan, **explain_plan(vendor=connection.vendor, lines=rows)}


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SELECT version()"
        )
        return str(cursor.fetchone()[0]).split(" on ")[0]


def measure(*, sizes: list[int], runs: int) -> dict[str, Any]:
    from django.db import connection

    writer = Writer()
    texts = queries(writer, runs)
    by_size: dict[str, Any] = {}
    for size in sorted(sizes):
        started = time.perf_counter()
        added = seed(size, writer=writer)
        seeded_s = time.perf_counter() - started
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # What autovacuum would do in time (outside a transaction: autocommit).
                cursor.execute("VACUUM ANALYZE content_article")
        by_size[str(size)] = {
            "added": added,
            "seed_seconds": round(seeded_s, 1),
            "queries": {kind: time_queries(batch) for kind, batch in texts.items()},
        }
    explained = {}
    if connection.vendor in ("postgresql", "mysql"):
        explained = {kind: explain_search(batch[0]) for kind, batch in texts.items()}
    return {
        "vendor": connection.vendor,
        "server": server_version(),
        "sizes": by_size,
        "explain": explained,
    }


def main(argv: list[str]) -> None:
    import django

    from filamenta.environment import configure

    parser = argparse.ArgumentParser(prog="python -m bench.search")
    parser.add_argument("--sizes", default="10000,100000", help="article counts, comma-separated")
    parser.add_argument("--runs", type=int, default=40, help="timed queries per kind and size")
    args = parser.parse_args(argv)
    configure()
    django.setup()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    print(json.dumps(measure(sizes=sizes, runs=args.runs)))


if __name__ == "__main__":
    main(sys.argv[1:])
