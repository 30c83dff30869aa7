"""/search/: each database's full-text engine behind one selector, kept in step by every write.

Marked ``database``: CI runs these on SQLite, PostgreSQL and MariaDB. InnoDB's
FULLTEXT index sees only committed rows, so the tests that find something
commit (``transaction=True``; ``serialized_rollback`` puts back the roles and
site settings the migrations made).
"""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.content.models import Article
from apps.content.search import article_search
from apps.content.services import (
    article_delete,
    article_update,
    articles_create_many,
)
from apps.siteadmin.services import site_settings_update

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEARCH = "/search/"
# Cold cache, counted on the test's memory tier: the rate-limit counter (11 with its
# transactions: database counters there), the cache versions (4), the site settings,
# the next scheduled change (2), then the search's own: the candidates (one query;
# on PostgreSQL up to four, test_search_bound.py) and the page. A fixed number
# whatever is found.
MAX_QUERIES_COLD = 20


def found(client, q, *, marked=False, **params):
    """The page's HTML, without the <mark> tags unless ``marked``."""
    response = client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200, response.content[-500:]
    html = response.content.decode()
    return html if marked else html.replace("<mark>", "").replace("</mark>", "")


def titles(q):
    page = article_search(query=q, use_cache=False)
    return [hit.article.title for hit in page.hits]


def test_a_title_match_ranks_above_a_body_only_match(make_article):
    make_article("Gardening notes", body="<p>Mostly about the heliotrope and other flowers.</p>")
    make_article("Heliotrope", body="<p>A purple flower.</p>")
    make_article("Nothing here", body="<p>Tomatoes.</p>")

    assert titles("heliotrope") == ["Heliotrope", "Gardening notes"]


def test_every_word_must_match(make_article):
    make_article("Red roses", body="<p>In the garden.</p>")
    make_article("Red tulips", body="<p>In a vase.</p>")

    assert titles("red garden") == ["Red roses"]
    assert sorted(titles("red")) == ["Red roses", "Red tulips"]


def test_matching_words_are_marked_and_the_rest_is_escaped(client, make_article):
    make_article(
        "Scripts &lt;b&gt; explained",
        body="<p>Never write &lt;script&gt;alert(1)&lt;/script&gt; in a zanzibar page.</p>",
    )

    # PostgreSQL's parser skips what looks like a tag (and a script's text): the
    # match is on "zanzibar", the escaping on what surrounds it.
    html = found(client, "zanzibar", marked=True)

    assert "<mark>zanzibar</mark>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; in a <mark>zanzibar</mark> page" in html
    assert "<script>alert" not in html
    assert "<b>" not in html.split('class="search-count"')[1]


def test_accents_and_case_of_the_query(make_article):
    make_article("Élève du mois", body="<p>Le Château de Versailles.</p>")

    assert titles("ÉLÈVE") == ["Élève du mois"]
    assert titles("château") == ["Élève du mois"]


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Article.Status.DRAFT},
        {"status": Article.Status.ARCHIVED},
        {"status": Article.Status.PUBLISHED, "published_at_delta": timedelta(days=1)},
        {"status": Article.Status.PUBLISHED, "unpublish_at_delta": timedelta(days=-1)},
    ],
    ids=["draft", "archived", "scheduled", "unpublished"],
)
def test_only_what_is_published_now_is_found(client, make_article, fields):
    fields = dict(fields)
    now = timezone.now()
    extra = {}
    if "published_at_delta" in fields:
        extra["published_at"] = now + fields.pop("published_at_delta")
    if "unpublish_at_delta" in fields:
        extra["published_at"] = now - timedelta(days=2)
        extra["unpublish_at"] = now + fields.pop("unpublish_at_delta")
    make_article("Hidden quokka", published=False, **fields, **extra)
    make_article("Visible wombat")

    assert titles("quokka") == []
    assert titles("wombat") == ["Visible wombat"]
    assert "Hidden quokka" not in found(client, "quokka")


def test_a_scheduled_item_is_found_from_its_time_on_even_through_the_cache(client, make_article):
    # Sooner than the selector's own 60 s: only ``until`` can make the cached result a miss.
    soon = timezone.now() + timedelta(seconds=30)
    make_article(
        "Future quoll", published=False, status=Article.Status.PUBLISHED, published_at=soon
    )

    assert "Future quoll" not in found(client, "quoll")  # and this result is now cached
    with time_machine.travel(soon + timedelta(seconds=1), tick=False):
        assert "Future quoll" in found(client, "quoll")


def test_an_edit_is_searched_at_once(client, make_article, editor):
    article = make_article("Platypus facts", body="<p>Eggs.</p>")
    assert titles("platypus") == ["Platypus facts"]

    article_update(article=article, by=editor, title="Echidna facts", body="<p>Spines.</p>")

    assert titles("platypus") == []
    assert titles("eggs") == []
    assert titles("echidna") == ["Echidna facts"]
    assert titles("spines") == ["Echidna facts"]
    # Through the page and its cache: the write makes the cached result a miss.
    assert "Echidna facts" in found(client, "echidna")


def test_a_deleted_item_is_no_longer_found(client, make_article, editor):
    article = make_article("Narwhal tusks")
    assert "Narwhal tusks" in found(client, "narwhal")

    article_delete(article=article, by=editor)

    assert titles("narwhal") == []
    assert "Narwhal tusks" not in found(client, "narwhal")


def test_a_bulk_insert_is_searchable(make_user):
    author = make_user("bulk")
    now = timezone.now()
    articles_create_many(
        articles=[
            Article(
                title=f"Capybara {n}",
                slug=f"capybara-{n}",
                body=f"<p>Number {n} of the herd, <b>rodent</b>.</p>",
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(minutes=n + 1),
                author=author,
            )
            for n in range(5)
        ],
        keep_revisions=False,
    )

    assert len(titles("capybara rodent")) == 5


def test_results_are_paginated_with_the_list_rules(client, make_article, editor):
    site_settings_update(by=editor, items_per_page=2)
    for n in range(5):
        make_article(f"Axolotl {n}")

    first = found(client, "axolotl")
    third = found(client, "axolotl", page="3")

    assert first.count('class="summary search-hit"') == 2
    assert "5 results" in first
    assert "page=2" in first
    assert third.count('class="summary search-hit"') == 1
    for page in ("4", "0", "abc", "1" * 7, "٣", "-1"):
        assert client.get(SEARCH, {"q": "axolotl", "page": page}).status_code == 404, page


def test_no_result_is_a_page_of_its_own(client, make_article):
    make_article("Something")

    html = found(client, "zyzzyva")

    assert "0 results" in html
    assert "Nothing published matches" in html


@pytest.mark.parametrize(
    "q",
    [
        "",
        "   ",
        "?!.,;:-",
        "\x00",
        "«»—…",
    ],
)
def test_a_query_without_words_shows_the_form_and_runs_no_search(client, q):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SEARCH, {"q": q})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html
    assert "result" not in html
    searched = [
        query["sql"]
        for query in captured.captured_queries
        if any(s in query["sql"] for s in ("MATCH", "@@", "tsquery", "content_article_fts"))
    ]
    assert searched == []


HOSTILE = [
    "a" * 10_000,
    "word " * 2_000,
    'unbalanced "quote',
    '"',
    '""',
    "*",
    "roses*",
    "a:b",
    "title:roses",
    "roses & tulips",
    "roses | tulips",
    "!roses",
    "(roses",
    "roses)",
    "roses\x00tulips",
    "-roses",
    "+roses",
    "~roses",
    "@roses",
    "<roses>",
    "<script>alert(1)</script>",
    "roses NEAR tulips",
    "NEAR(roses tulips)",
    "roses AND tulips",
    "roses OR tulips",
    "NOT roses",
    "AND",
    "OR NOT",
    "'; DROP TABLE content_article; --",
    "%_%",
    "\\",
    "roses:* & !tulips | (a <-> b)",
    "+the +and",
    "é" * 300,
    "漢字 かな",
    "\U0001d518\U0001d52b\U0001d526 \u00b2\u00b3",  # mathematical letters, superscripts
]


@pytest.mark.parametrize("q", HOSTILE)
def test_operators_and_odd_input_never_break_the_page(client, make_article, q):
    make_article("Roses and tulips", body="<p>AND OR NOT NEAR the garden</p>")

    response = client.get(SEARCH, {"q": q})

    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def counted_search(client, q: str) -> tuple[str, list[str]]:
    """The page's HTML and the SQL it ran: a count over the limit shows which queries."""
    with CaptureQueriesContext(connection) as captured:
        html = found(client, q)
    return html, [query["sql"] for query in captured.captured_queries]


def test_a_page_runs_a_fixed_number_of_queries(client, make_article):
    make_article("Kiwi one")
    # Once per site, not per search: the cache versions are created.
    found(client, "kiwi")

    caches["default"].clear()
    few, few_sql = counted_search(client, "kiwi")
    for n in range(12):
        make_article(f"Kiwi bird {n}")
    caches["default"].clear()
    many, many_sql = counted_search(client, "kiwi")

    assert few.count('class="summary search-hit"') == 1
    assert many.count('class="summary search-hit"') == 10
    for sql in (few_sql, many_sql):
        assert len(sql) <= MAX_QUERIES_COLD, "\n".join(sql)


def test_a_repeated_query_is_served_from_the_cache(client, make_article):
    make_article("Pangolin scales")
    found(client, "pangolin")

    with CaptureQueriesContext(connection) as captured:
        html = found(client, "Pangolin!")

    assert "Pangolin scales" in html
    searched = [q for q in captured.captured_queries if "content_article" in q["sql"]]
    assert searched == []


def test_the_search_page_is_never_page_cached(client, make_article):
    make_article("Okapi")

    response = client.get(SEARCH, {"q": "okapi"})

    assert "X-Page-Cache" not in response


def test_past_the_rate_a_search_is_429_with_retry_after(client, settings, make_article):
    settings.SEARCH_RATE_PER_IP = "3/d"
    make_article("Lemur")

    statuses = [client.get(SEARCH, {"q": f"lemur {n}"}).status_code for n in range(5)]
    limited = client.get(SEARCH, {"q": "lemur"})

    assert statuses == [200, 200, 200, 429, 429]
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 86400
    assert "too many searches" in limited.content.decode()
    # The form alone runs no search and is not counted.
    assert client.get(SEARCH).status_code == 200


def test_the_limit_is_per_client_address(client, settings, make_article):
    settings.SEARCH_RATE_PER_IP = "1/d"
    make_article("Tapir")

    assert client.get(SEARCH, {"q": "tapir"}, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get(SEARCH, {"q": "tapir"}, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get(SEARCH, {"q": "tapir"}, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_every_page_has_a_search_box_in_its_header(client):
    html = client.get("/").content.decode()

    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert '<form role="search" method="get" action="/search/"' in header
    assert 'name="q"' in header
    assert "<script" not in header
