"""What each database's engine is given: its index (migration 0006), used, and the words alone."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.content.search import (
    PG_QUERY,
    PG_VECTOR,
    QUERY_MAX,
    TERMS_MAX,
    article_search,
    search_marked,
    search_page_sql,
    search_terms,
)
from tests.conftest import run_manage

BEFORE = [("content", "0005_roles")]


def migrate(targets=None):
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


# ---------------------------------------------------------------- words only


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("Roses, TULIPS!", ("roses", "tulips")),
        ('"unbalanced', ("unbalanced",)),
        ("-a +b ~c @d <e> (f) *g* h:i", ("a", "b", "c", "d", "e", "f", "g", "h")),
        ("NEAR(x y) AND OR NOT", ("near", "x", "y", "and", "or", "not")),
        ("l'élève", ("l", "élève")),
        ("snake_case", ("snake", "case")),
        ("a\x00b", ("a", "b")),
        ("?!.,;:-«»", ()),
        ("", ()),
        ("roses roses Roses", ("roses",)),
    ],
)
def test_only_words_reach_the_engine(query, terms):
    assert search_terms(query) == terms


def test_the_query_is_bounded():
    assert search_terms("x" * 10_000) == ("x" * QUERY_MAX,)
    assert len(search_terms(" ".join(f"w{n}" for n in range(100)))) == TERMS_MAX
    # Only the first 200 characters are read: a word past them is not searched.
    assert search_terms("a " * 100 + "late") == ("a",)


def test_the_excerpt_marks_words_whatever_their_case_or_accents_and_escapes_the_rest():
    text = "Un <élève> & un Eleve: " + "mot " * 60 + "fin"

    marked = search_marked(text, ("eleve",), words=10)

    assert marked.startswith("Un &lt;<mark>élève</mark>&gt; &amp; un <mark>Eleve</mark>: mot")
    assert marked.endswith(" …")
    assert "fin" not in marked


def test_the_excerpt_starts_a_little_before_the_first_match():
    text = " ".join(f"w{n}" for n in range(100)) + " needle " + "after " * 50

    marked = search_marked(text, ("needle",), words=20)

    assert marked.startswith("… w95 ")
    assert "<mark>needle</mark>" in marked
    assert marked.endswith(" …")


def test_without_a_match_in_the_text_the_excerpt_is_its_start():
    marked = search_marked("one two three four", ("title",), words=2)

    assert marked == "one two …"


# ---------------------------------------------------------------- the engines


@pytest.mark.database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_indexes_existing_rows_and_can_be_reversed():
    now = timezone.now()
    old_apps = migrate(BEFORE)
    try:
        assert not _search_index_exists()
        # Rows written while the index is absent (as on a site upgrading to 0006),
        # through the model as it was then (later migrations add columns).
        old_apps.get_model("content", "Article").objects.create(
            title="Wallaby", slug="wallaby", search_text="a marsupial", status="published",
            published_at=now - timedelta(hours=1),
        )  # fmt: skip
    finally:
        # The command, as a site upgrading runs it: on SQLite a later migration's
        # table rebuild drops the triggers, which its post_migrate hook puts back.
        call_command("migrate", verbosity=0)

    assert _search_index_exists()
    assert [h.article.slug for h in article_search(query="marsupial", use_cache=False).hits] == [
        "wallaby"
    ]


def _search_index_exists() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('content_article_fts', "
                "'content_article_fts_insert', 'content_article_fts_update', "
                "'content_article_fts_delete')"
            )
            return cursor.fetchone()[0] == 4
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'content_article_search'"
            )
            return cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT count(DISTINCT index_name) FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = 'content_article' "
            "AND index_type = 'FULLTEXT'"
        )
        return cursor.fetchone()[0] == 2


@pytest.mark.database
@pytest.mark.django_db
def test_the_search_query_uses_the_full_text_index():
    """EXPLAIN of the page query: the GIN index, the FULLTEXT index, the FTS5 table."""
    sql, params = search_page_sql("garden roses")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A handful of rows: the planner would rather scan, or take the status
            # index; the match alone, scans off, shows the GIN index fits the query.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                f"EXPLAIN SELECT id FROM content_article WHERE {PG_VECTOR} @@ {PG_QUERY}",  # noqa: S608
                ["garden roses"],
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Bitmap Index Scan on content_article_search" in plan, plan
        elif connection.vendor == "mysql":
            cursor.execute("EXPLAIN " + sql, params)
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            assert any(
                r["key"] == "content_article_search" and r["type"] == "fulltext" for r in rows
            ), rows
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            # The full-text match drives; each match then reads its row by primary key.
            assert plan.startswith("SCAN content_article_fts VIRTUAL TABLE INDEX"), plan
            assert "SEARCH content_article USING INTEGER PRIMARY KEY" in plan, plan


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_table_rebuild_on_sqlite_loses_no_search(make_article):
    """Django's SQLite schema editor rebuilds a table for many ALTERs, dropping its triggers."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's triggers; the other databases keep their indexes through ALTERs")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER content_article_fts_insert")
        cursor.execute("DROP TRIGGER content_article_fts_update")
    make_article("Dugong", body="<p>A sea cow.</p>")
    assert titles("dugong") == []

    call_command("migrate", verbosity=0)

    assert _search_index_exists()
    assert titles("dugong") == ["Dugong"]
    make_article("Manatee")
    assert titles("manatee") == ["Manatee"]


def titles(q):
    return [hit.article.title for hit in article_search(query=q, use_cache=False).hits]


def test_a_bad_search_rate_stops_start_up_naming_the_variable(clean_env):
    completed = run_manage("check", env={**clean_env, "SEARCH_RATE_PER_IP": "lots"})

    assert completed.returncode != 0
    assert "SEARCH_RATE_PER_IP='lots' is not a rate" in completed.stderr
