"""/search/ ranks at most ``RANKED_MAX`` matches: past it the page says "N+", no page beyond.

The bound is patched small here (3): what is kept past it differs by engine
(the newest on SQLite and PostgreSQL, InnoDB's most relevant on MariaDB), so
these tests make the kept ones the same on each (the newest, and the most
relevant too) and check the cap, the count shown and the pages.
"""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from apps.content import search
from apps.content.models import Article
from apps.content.search import article_search
from apps.content.services import articles_create_many
from apps.siteadmin.services import site_settings_update

from .test_search import MAX_QUERIES_COLD, SEARCH, found

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def bound(monkeypatch):
    monkeypatch.setattr(search, "RANKED_MAX", 3)
    return 3


def test_past_the_bound_the_count_says_so_and_no_page_lies_beyond(
    client, make_article, editor, bound
):
    site_settings_update(by=editor, items_per_page=2)
    for n in range(5):
        make_article(f"Okapi {n}")

    first = found(client, "okapi")
    second = found(client, "okapi", page="2")

    assert "3+ results" in first
    assert "Page 1 of 2" in first
    assert first.count('class="summary search-hit"') == 2
    assert second.count('class="summary search-hit"') == 1
    assert "add a word to narrow the search" in second
    assert client.get(SEARCH, {"q": "okapi", "page": "3"}).status_code == 404


def test_up_to_the_bound_the_count_is_exact(client, make_article, bound):
    for n in range(3):
        make_article(f"Quokka {n}")

    html = found(client, "quokka")

    assert "3 results" in html
    assert "3+ results" not in html
    assert "narrow the search" not in html


def test_within_the_bound_a_title_match_still_ranks_first(make_article, bound):
    for n in range(4):
        make_article(f"Notes {n}", body="<p>Seen near the pangolin path.</p>")
    # The newest, and the most relevant on every engine: the kept set holds it.
    make_article("Pangolin", body="<p>The pangolin, and a pangolin again.</p>")

    page = article_search(query="pangolin", use_cache=False)

    assert page.capped
    assert page.count == bound
    assert page.hits[0].article.title == "Pangolin"


def test_unpublished_matches_take_no_place_within_the_bound(make_article, bound):
    make_article("Tapir one")
    make_article("Tapir two")
    for n in range(4):
        make_article(f"Tapir draft {n}", published=False)

    page = article_search(query="tapir", use_cache=False)

    assert not page.capped
    assert sorted(hit.article.title for hit in page.hits) == ["Tapir one", "Tapir two"]


def test_a_capped_search_runs_a_fixed_number_of_queries(
    client, make_article, bound, django_assert_max_num_queries
):
    for n in range(12):
        make_article(f"Dugong {n}")
    found(client, "dugong")  # once per site, not per search: the cache versions are created
    caches["default"].clear()

    with django_assert_max_num_queries(MAX_QUERIES_COLD):
        html = found(client, "dugong")

    assert "3+ results" in html


def test_matches_older_than_every_window_are_found_in_a_bounded_number_of_queries(
    client, make_user, bound, django_assert_max_num_queries
):
    # PostgreSQL looks for the newest matches among the newest 8 x, then 64 x the
    # bound, then all published items: these four are older than the 192 newest, and
    # take all four steps there (three more queries than a common word's one).
    author = make_user("bulk")
    now = timezone.now()
    articles_create_many(
        articles=[
            Article(
                title=f"Zebu {n}" if n >= 200 else f"Filler {n}",
                slug=f"item-{n}",
                body="<p>Words.</p>",
                status=Article.Status.PUBLISHED,
                published_at=now - timedelta(minutes=n + 1),
                author=author,
            )
            for n in range(204)
        ],
        keep_revisions=False,
    )
    found(client, "filler")  # once per site, not per search: the cache versions are created
    caches["default"].clear()

    with django_assert_max_num_queries(MAX_QUERIES_COLD + 3):
        html = found(client, "zebu")

    assert "3+ results" in html


def test_which_matches_are_kept_is_each_engines_cheap_order(make_article, bound):
    # Neither the oldest three nor the newest three: only relevance keeps it.
    for n in range(3):
        make_article(f"Note {n}", body="<p>A walrus was seen near the pier today, they say.</p>")
    make_article("Middle notes", body="<p>Walrus, walrus, walrus: the walrus and its walrus.</p>")
    for n in range(3, 6):
        make_article(f"Note {n}", body="<p>A walrus was seen near the pier today, they say.</p>")

    kept = {hit.article.title for hit in article_search(query="walrus", use_cache=False).hits}

    if connection.vendor == "mysql":
        # InnoDB hands over its most relevant first: five times the word.
        assert "Middle notes" in kept
    else:
        # SQLite (by id) and PostgreSQL (by publication time): the newest.
        assert kept == {"Note 3", "Note 4", "Note 5"}
