"""Queries per page and EXPLAIN, on whichever database the suite runs on."""

import pytest
from django.core.management import call_command

from apps.content.models import Article
from bench.queries import explain_plan, pages_queries


def test_explain_plan_reads_postgresql_plans():
    lines = [
        "Limit  (cost=0.28..8.30 rows=1 width=100)",
        "  ->  Index Scan using content_article_slug_key on content_article  (cost=0.28..8.30)",
        "  ->  Bitmap Index Scan on content_status_published  (cost=0.00..4.3)",
        "  ->  Seq Scan on filamenta_counter  (cost=0.00..1.01 rows=1)",
    ]

    plan = explain_plan(vendor="postgresql", lines=lines)

    assert plan == {
        "indexes": ["content_article_slug_key", "content_status_published"],
        "full_scans": ["filamenta_counter"],
    }


def test_explain_plan_reads_mysql_rows():
    rows = [
        {"table": "content_article", "type": "const", "key": "slug"},
        {"table": "users_user", "type": "eq_ref", "key": "PRIMARY"},
        {"table": "filamenta_counter", "type": "ALL", "key": None},
    ]

    plan = explain_plan(vendor="mysql", lines=rows)

    assert plan == {"indexes": ["slug", "PRIMARY"], "full_scans": ["filamenta_counter"]}


def test_explain_plan_reads_sqlite_query_plans():
    lines = [
        "SEARCH content_article USING INDEX sqlite_autoindex_content_article_1 (slug=?)",
        "SEARCH users_user USING INTEGER PRIMARY KEY (rowid=?)",
        "SCAN django_session",
    ]

    plan = explain_plan(vendor="sqlite", lines=lines)

    assert plan == {
        "indexes": ["sqlite_autoindex_content_article_1", "INTEGER PRIMARY KEY"],
        "full_scans": ["django_session"],
    }


@pytest.mark.database
@pytest.mark.django_db
def test_pages_queries_counts_and_explains_every_select(client):
    call_command("seed_demo", users=1, articles=3, no_progress=True)
    article = Article.objects.filter(status=Article.Status.PUBLISHED).first().get_absolute_url()

    found = pages_queries(
        client=client,
        pages={"home": "/", "uncached article": article, "cached article": article},
    )

    pages = found["pages"]
    assert {page["status"] for page in pages.values()} == {200}
    assert pages["uncached article"]["queries"] > pages["cached article"]["queries"]
    # The article's own read (by slug), not its related items': on three rows
    # MariaDB joins those by scanning the table, as any planner may on so few.
    article_reads = [
        s
        for s in pages["uncached article"]["selects"]
        if "content_article" in s["tables"] and "slug" in s["sql"].split(" WHERE ", 1)[-1]
    ]
    assert article_reads
    # The article is found by its unique slug: an index, never a scan of the table.
    assert all(s["indexes"] and "content_article" not in s["full_scans"] for s in article_reads)
    assert found["cached_article_profile"]
