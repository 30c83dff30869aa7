"""Search over published titles and body text, in each database's own full-text engine.

One selector, :func:`article_search`, in front of three engines chosen by
``connection.vendor`` (the index each needs is made by migration 0006 and
kept in step by the database, so every write, ``bulk_create`` included, is
searchable at once):

- PostgreSQL: ``plainto_tsquery`` against a stored, GIN-indexed tsvector
  (title A, body B; kept by a trigger), ranked by ``ts_rank``. The
  'simple' configuration neither stems nor drops stop words: one index
  serves a French and an English site alike, and "été" is not "ete" (the
  unaccent extension would need CREATE rights, which shared hosts lack).
- MariaDB/MySQL: ``MATCH … AGAINST`` in boolean mode, every word required
  (``+word``), ranked by a title match (its own FULLTEXT index) then the
  whole text. InnoDB indexes no word shorter than ``innodb_ft_min_token_size``
  (3 by default: "cat" is found, "ox" is not) and none of its default stop
  words ("the", "about", "de", "la"...); a required word it never indexed
  would match nothing, so such words are left out of the query, and a query
  made only of them finds nothing.
- SQLite: an FTS5 table (unicode61 tokenizer, accents folded) ranked with
  ``bm25``, the title weighing ten times the body.

What is ranked is bounded (:func:`_candidates`): at most ``RANKED_MAX``
matches, taken in the order each engine can stop early in (SQLite the newest
by id, PostgreSQL the newest by publication time, MariaDB InnoDB's most
relevant), then ranked as above; past the bound the page says "200+" and has
no page beyond it. A word in a tenth of 100,000 articles then costs what a
rare one does, where ranking all its matches took 0.4 to 4 s.

What reaches an engine is never the visitor's text: only its words
(letters and digits, at most ``TERMS_MAX`` of them from the first
``QUERY_MAX`` characters), quoted or passed as bound parameters, so no
operator (``"``, ``*``, ``-``, ``NEAR``, ``OR``...) can be a syntax error.
The marked excerpt is built here, in Python, from ``search_text``: the same
on every database, and escaped everywhere but the ``<mark>`` tags.

Results are cached briefly per normalised query (``SEARCH_TIMEOUT``) and
invalidated by any write, like every public read; each entry lives at most
``SEARCH_TIMEOUT`` seconds, so made-up queries (each visitor limited to
``SEARCH_RATE_PER_IP``) cannot pile up in the cache.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from filamenta.caching import cached

from .models import Article
from .selectors import PUBLIC_DEPENDS_ON, article_next_change

QUERY_MAX = 200
# How many matches are ranked at most (see _candidates); past it the page says "200+".
# 200, not 500: on MariaDB each candidate is a row read (InnoDB fetches the row of
# every full-text match it hands over); at 100,000 articles, back to back on the
# loaded bench machine (128 MB buffer pool), a one-word query's p95 was 52-58 ms at
# 500 and 38-39 ms at 200. Twenty pages of ten: past them a reader adds a word.
RANKED_MAX = 200
TERMS_MAX = 8
SEARCH_TIMEOUT = 60
EXCERPT_WORDS = 30
# Letters and digits only: "_" and every operator character separate words.
WORD = re.compile(r"[^\W_]+")

# PostgreSQL's weighted document (title A, body B), stored by a trigger and
# GIN-indexed (migration 0006): ranking reads it rather than parsing each match.
PG_VECTOR = '"content_article"."search_vector"'
PG_QUERY = "plainto_tsquery('simple'::regconfig, %s)"
# INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD (MariaDB 10.11, MySQL 8).
INNODB_STOPWORDS = frozenset(
    {
        "a", "about", "an", "are", "as", "at", "be", "by", "com", "de", "en", "for", "from", "how",
        "i", "in", "is", "it", "la", "of", "on", "or", "that", "the", "this", "to", "und", "was",
        "what", "when", "where", "who", "will", "with", "www",
    }
)  # fmt: skip
INNODB_MIN_TOKEN = 3


def search_terms(query: str) -> tuple[str, ...]:
    """The words of a visitor's query, folded to lower case: what is searched for.

    Empty when the query holds no letter or digit (punctuation, a NUL): the
    page then shows the form and runs no query.
    """
    words: dict[str, None] = {}
    for word in WORD.findall(query[:QUERY_MAX]):
        words.setdefault(word.casefold())
        if len(words) == TERMS_MAX:
            break
    return tuple(words)


@functools.lru_cache(maxsize=8192)
def _folded(word: str) -> str:
    """A word without case or accents, as SQLite's and MariaDB's searches compare them."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_marked(text: str, terms: tuple[str, ...], *, words: int | None = None) -> SafeString:
    """``text`` escaped, its words that match ``terms`` in ``<mark>``.

    With ``words``, only an excerpt of about that many words is kept, starting
    a few words before the first match (the start of the text when only the
    title matched).
    """
    wanted = {_folded(term) for term in terms}
    found = list(WORD.finditer(text))
    start, end = 0, len(text)
    if words is not None and found:
        first = next((i for i, m in enumerate(found) if _folded(m[0]) in wanted), 0)
        begin = max(0, first - words // 4)
        last = min(len(found), begin + words) - 1
        start = 0 if begin == 0 else found[begin].start()
        end = len(text) if last == len(found) - 1 else found[last].end()
    parts: list[str] = ["… " if start else ""]
    position = start
    for match in found:
        if match.start() < start or match.end() > end:
            continue
        if _folded(match[0]) in wanted:
            parts += [escape(text[position : match.start()]), f"<mark>{escape(match[0])}</mark>"]
            position = match.end()
    parts += [escape(text[position:end]), " …" if end < len(text) else ""]
    return mark_safe("".join(parts))  # noqa: S308 - every part of the text is escaped above


@dataclass(frozen=True)
class SearchHit:
    article: Article
    title: SafeString
    excerpt: SafeString


@dataclass(frozen=True)
class SearchPage:
    terms: tuple[str, ...]
    hits: list[SearchHit]
    number: int
    num_pages: int
    count: int
    # More matched than were ranked (``RANKED_MAX``): ``count`` is the bound, shown "500+".
    capped: bool = False

    @property
    def count_text(self) -> str:
        """How many results, as the page says it: "1,000+" past the bound."""
        return f"{self.count:,}{'+' if self.capped else ''}"

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _mysql_words(terms: tuple[str, ...]) -> list[str]:
    """The terms InnoDB indexed: none shorter than its minimum token, none of its stop words."""
    return [t for t in terms if len(t) >= INNODB_MIN_TOKEN and t not in INNODB_STOPWORDS]


def _matching(terms: tuple[str, ...]) -> QuerySet[Article] | None:
    """Published items matching every term, each with its ``rank`` (higher is better).

    PostgreSQL, MariaDB/MySQL and any other database (SQLite: :func:`_sqlite_statement`).
    None when the database could never match these terms (MariaDB's stop words).
    Parameters are bound, never formatted in: ``extra`` is used for the
    engines' own syntax, which Django's expressions do not cover on MySQL.
    Unordered (``order_by()``): each engine's candidates come in its own order.
    """
    published = Article.objects.published().order_by()
    vendor = connection.vendor
    if vendor == "postgresql":
        text = " ".join(terms)
        return published.extra(  # noqa: S610 - bound parameters only
            select={"rank": f"ts_rank({PG_VECTOR}, {PG_QUERY})"},
            select_params=[text],
            where=[f"{PG_VECTOR} @@ {PG_QUERY}"],
            params=[text],
        )
    if vendor == "mysql":
        usable = _mysql_words(terms)
        if not usable:
            return None
        required = " ".join(f"+{t}" for t in usable)
        against = "AGAINST (%s IN BOOLEAN MODE)"
        return published.extra(  # noqa: S610 - bound parameters only
            select={
                "rank": f"3 * MATCH (`content_article`.`title`) {against} + "
                f"MATCH (`content_article`.`title`, `content_article`.`search_text`) {against}"
            },
            select_params=[" ".join(usable), required],
            where=[f"MATCH (`content_article`.`title`, `content_article`.`search_text`) {against}"],
            params=[required],
        )
    # Any other database: every term somewhere, unranked (no engine to ask).
    condition = Q()
    for term in terms:
        condition &= Q(title__icontains=term) | Q(search_text__icontains=term)
    return published.filter(condition).extra(select={"rank": "0"})


SHOWN_FIELDS = ("title", "slug", "kind", "published_at", "search_text")
# The no-cutoff window's lower bound: before every publication time.
EVER = datetime(1, 1, 2, tzinfo=UTC)


def _pg_statement(
    terms: tuple[str, ...], *, newest: int | None, ordered: bool
) -> tuple[str, list[Any]]:
    """PostgreSQL's candidates' SQL: up to ``RANKED_MAX + 1`` matches, ranked outside.

    ``ordered``: the newest matches, among the ``newest`` published items (all
    with None). The window is a lower bound on ``published_at`` (the
    ``newest``-th publication time, from the status/date index), so PostgreSQL
    ANDs two bitmaps (GIN and date) and reads only the matches inside it from
    the table. Unordered: the first found (the GIN bitmap, stopped early).
    The rank is computed outside, on the rows kept: ``ts_rank`` reads each
    match's vector from TOAST, the one costly step. Raw SQL, as on SQLite: an
    inner query Django would alias, and the vector's name is the outer table's.
    """
    published = Article.objects.published().query
    where, where_params = published.get_compiler(connection=connection).compile(published.where)
    params: list[Any] = [" ".join(terms), *where_params]
    window, whole, whole_params = "", "TRUE", []
    if newest is not None:
        # NULL when there are fewer published items: the window is then all of them.
        cutoff = (
            '(SELECT "p"."published_at" FROM "content_article" "p" WHERE "p"."status" = %s '
            'AND "p"."published_at" <= NOW() ORDER BY "p"."published_at" DESC OFFSET %s LIMIT 1)'
        )
        whole, whole_params = f"{cutoff} IS NULL", [Article.Status.PUBLISHED, newest - 1]
        window = f""" AND "content_article"."published_at" >= COALESCE({cutoff}, '-infinity')"""
        params += whole_params
    order = ' ORDER BY "content_article"."published_at" DESC, "content_article"."id" DESC'
    # The published rule compiled by Django; every value is a bound parameter.
    source = (
        f'FROM "content_article" WHERE {PG_VECTOR} @@ {PG_QUERY} AND {where}{window}'
        f"{order if ordered else ''} LIMIT %s"
    )
    inner = f'SELECT "content_article"."id", "content_article"."published_at", {PG_VECTOR} AS "v" '
    outer = (
        f'SELECT "c"."id", ts_rank("c"."v", {PG_QUERY}) AS "rank", "c"."published_at", '
        f'{whole} AS "whole" '
    )
    sql = f'{outer}FROM ({inner}{source}) "c"'
    return sql, [" ".join(terms), *whole_params, *params, RANKED_MAX + 1]


def _pg_candidates(terms: tuple[str, ...]) -> list[Any]:
    """The newest ``RANKED_MAX + 1`` matches on PostgreSQL, in one query for a common word.

    First among the newest 8 x ``RANKED_MAX`` published items: a word in one
    item out of eight or more (a one-word query, mostly) stops there, and so
    does a site with fewer published items than that window. Then
    any of them, unordered (the GIN bitmap, stopped early): fewer than asked
    for means that is every match. Then among the newest 64 x ``RANKED_MAX``,
    then all: at most four queries, and a word rare enough to need the last
    has few matches to read.
    """
    limit = RANKED_MAX + 1
    steps: list[tuple[int | None, bool]] = [
        (8 * RANKED_MAX, True),
        (None, False),
        (64 * RANKED_MAX, True),
        (None, True),
    ]
    found: list[Any] = []
    with connection.cursor() as cursor:
        for newest, ordered in steps:
            sql, params = _pg_statement(terms, newest=newest, ordered=ordered)
            cursor.execute(sql, params)
            found = cursor.fetchall()
            # Complete: as many as asked for (the newest), or every match (fewer, or a
            # window that held every published item).
            if len(found) == limit if ordered else len(found) < limit:
                break
            if found and found[0][3]:
                break
    return [row[:3] for row in found]


def _sqlite_statement(terms: tuple[str, ...], limit: int) -> tuple[str, list[Any]]:
    """The candidates' SQL and parameters on SQLite: the ``limit`` newest matches by id.

    FTS5 keeps each word's rows in rowid (article id) order and reads them
    backwards for ``ORDER BY rowid DESC``, so ``LIMIT`` stops it early and
    ``bm25`` is computed for those rows only. Its own top-k (``ORDER BY
    rank``) scores every match first: 40 to 70 ms for a word in a fifth of
    100,000 articles, against under 10 ms for this.

    Raw SQL for one reason: ``CROSS JOIN``, SQLite's way of fixing the join
    order. Left to choose, its planner starts from the article table's status
    index (it guesses ten rows per status without ANALYZE) and runs the
    full-text query once per published article. The published rule itself is
    still ``Article.objects.published()``'s, compiled.
    """
    published = Article.objects.published().query
    where, where_params = published.get_compiler(connection=connection).compile(published.where)
    phrase = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    # The published rule compiled by Django; every value is a bound parameter.
    source = (
        'FROM "content_article_fts" CROSS JOIN "content_article" '
        'ON "content_article"."id" = "content_article_fts"."rowid" '
        f'WHERE "content_article_fts" MATCH %s AND {where}'
    )
    score = 'bm25("content_article_fts", 10.0, 1.0)'
    sql = (
        f'SELECT "content_article"."id", -{score} AS "rank", "content_article"."published_at" '
        f'{source} ORDER BY "content_article_fts"."rowid" DESC LIMIT %s'
    )
    return sql, [phrase, *where_params, limit]


def _candidates(terms: tuple[str, ...]) -> list[tuple[int, float, datetime]]:
    """(id, rank, published_at) of at most ``RANKED_MAX + 1`` matches: what is ranked.

    Bounded so that a common word costs what a rare one does: ranking every
    match (a tenth of 100,000 articles for a one-word query) took 0.4 to 4 s.
    Which matches each engine hands over:

    - SQLite: the newest by id, the FTS5 index's own order
      (:func:`_sqlite_statement`): the latest written, which on a site that
      publishes as it writes are the latest published.
    - MariaDB/MySQL: InnoDB returns a full-text match in WHERE, with no ORDER
      BY, sorted by its own relevance (whole text), so ``LIMIT`` stops early:
      the most relevant by that measure, then ranked with the title's weight.
      (An ``ORDER BY MATCH`` would read and sort every match first.)
    - PostgreSQL: its GIN index has no order and no top-k, and reading each
      match's vector to rank it is the cost, so the newest matches are taken
      (:func:`_pg_candidates`).
    """
    limit = RANKED_MAX + 1
    vendor = connection.vendor
    if vendor == "sqlite":
        sql, params = _sqlite_statement(terms, limit)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(row[0], row[1], _as_datetime(row[2])) for row in cursor.fetchall()]
    matching = _matching(terms)
    if matching is None:
        return []
    fields = ("id", "rank", "published_at")
    if vendor == "postgresql":
        return _pg_candidates(terms)
    if vendor == "mysql":
        return list(matching.values_list(*fields)[:limit])
    return list(matching.order_by("-published_at", "-id").values_list(*fields)[:limit])


def _as_datetime(value: Any) -> datetime:
    """A ``published_at`` as SQLite's raw cursor returns it (text), as a datetime."""
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def search_page_sql(query: str) -> tuple[str, list[Any]] | None:
    """The SQL and parameters of the candidates' query for ``query`` (EXPLAIN, the benchmark).

    On PostgreSQL, its first window (the one a common word stops at).
    """
    terms = search_terms(query)
    if connection.vendor == "sqlite":
        return _sqlite_statement(terms, RANKED_MAX + 1)
    matching = _matching(terms)
    if matching is None:
        return None
    if connection.vendor == "postgresql":
        return _pg_statement(terms, newest=8 * RANKED_MAX, ordered=True)
    sql, params = matching.values_list("id", "rank", "published_at")[
        : RANKED_MAX + 1
    ].query.sql_with_params()
    return sql, list(params)


def _search(*, terms: tuple[str, ...], page: int, per_page: int) -> SearchPage | None:
    """One page of results, best first; None when the page does not exist.

    Two queries on SQLite and MariaDB, at most four on PostgreSQL: the
    candidates (:func:`_candidates`, ranked here, in Python), then the page's
    articles by id.
    """
    if page < 1:
        return None
    found = _candidates(terms)
    capped = len(found) > RANKED_MAX
    # The one past the bound is the engine's next (its order, not the rank's): left out.
    ranked = sorted(found[:RANKED_MAX], key=lambda c: (c[1], c[2], c[0]), reverse=True)
    count = len(ranked)
    num_pages = max(1, -(-count // per_page))
    if page > num_pages:
        return None
    ids = [c[0] for c in ranked[(page - 1) * per_page : page * per_page]]
    by_id = Article.objects.only(*SHOWN_FIELDS).in_bulk(ids) if ids else {}
    hits = [
        SearchHit(
            article=article,
            title=search_marked(article.title, terms),
            excerpt=search_marked(article.search_text, terms, words=EXCERPT_WORDS),
        )
        for article in (by_id[i] for i in ids if i in by_id)
    ]
    return SearchPage(
        terms=terms, hits=hits, number=page, num_pages=num_pages, count=count, capped=capped
    )


@cached(timeout=SEARCH_TIMEOUT, depends_on=PUBLIC_DEPENDS_ON, until=article_next_change)
def _search_cached(*, terms: tuple[str, ...], page: int, per_page: int) -> SearchPage | None:
    return _search(terms=terms, page=page, per_page=per_page)


def article_search(
    *, query: str, page: int = 1, per_page: int = 10, use_cache: bool = True
) -> SearchPage | None:
    """One page of published items matching ``query``; None when that page does not exist.

    Ranked among at most ``RANKED_MAX`` matches (``SearchPage.capped`` when
    more matched), so no page lies past ``RANKED_MAX / per_page``.

    Cached under the query's words, not its text, so "Chat!" and "chat" are
    one entry. ``use_cache=False`` asks the database every time (the benchmark).
    """
    terms = search_terms(query)
    if not terms:
        return SearchPage(terms=(), hits=[], number=1, num_pages=1, count=0)
    search: Any = _search_cached if use_cache else _search
    return search(terms=terms, page=page, per_page=per_page)


# SQLite's index, as migration 0006 made it: its triggers go with the article
# table whenever Django's SQLite schema editor rebuilds that table (many
# AlterField and some AddField do), so every migrate puts back what is missing.
SQLITE_FTS_TRIGGERS = {
    "content_article_fts_insert": """CREATE TRIGGER content_article_fts_insert
    AFTER INSERT ON content_article BEGIN
        INSERT INTO content_article_fts (rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
    "content_article_fts_delete": """CREATE TRIGGER content_article_fts_delete
    AFTER DELETE ON content_article BEGIN
        INSERT INTO content_article_fts (content_article_fts, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
    END""",
    "content_article_fts_update": """CREATE TRIGGER content_article_fts_update
    AFTER UPDATE OF id, title, search_text ON content_article BEGIN
        INSERT INTO content_article_fts (content_article_fts, rowid, title, search_text)
        VALUES ('delete', old.id, old.title, old.search_text);
        INSERT INTO content_article_fts (rowid, title, search_text)
        VALUES (new.id, new.title, new.search_text);
    END""",
}


def search_index_repair(*, using: str = "default") -> list[str]:
    """On SQLite, put back the FTS5 triggers a table rebuild dropped, then re-index; their names.

    Run after every ``migrate`` (``post_migrate``, apps.py). Nothing to do on
    the other databases, where an index belongs to its table through any ALTER,
    nor before migration 0006 made the FTS table.
    """
    from django.db import connections

    db = connections[using]
    if db.vendor != "sqlite":
        return []
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT type, name FROM sqlite_master WHERE name LIKE 'content_article_fts%'"
        )
        present = {name for _type, name in cursor.fetchall()}
        if "content_article_fts" not in present:
            return []
        missing = [name for name in SQLITE_FTS_TRIGGERS if name not in present]
        for name in missing:
            cursor.execute(SQLITE_FTS_TRIGGERS[name])
        if missing:
            # Writes made while a trigger was missing are in the table, not the index.
            cursor.execute(
                "INSERT INTO content_article_fts (content_article_fts) VALUES ('rebuild')"
            )
    return missing
