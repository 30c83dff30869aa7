"""The search figures on a tiny data set: seeded, searched, explained and reported, not timed."""

import copy

import pytest

from bench import search
from bench.report import search_section
from bench.run import search_databases
from bench.targets import evaluate
from tests.bench.factories import results, search_figures


def test_the_vocabulary_has_french_english_and_a_long_tail():
    words = search.vocabulary()

    assert {"garden", "jardin", "élève"} <= set(words)
    assert len(words) == len(set(words)) > search.TAIL
    assert all(len(w) >= 4 for w in search.query_words())


def test_an_article_is_the_same_for_the_same_number():
    writer = search.Writer()
    first, again = writer.article(7, now=_now()), writer.article(7, now=_now())

    assert (first.title, first.body, first.slug) == (again.title, again.body, again.slug)
    assert first.slug == "search-bench-000007"
    assert "<" not in first.body
    assert writer.article(20, now=_now()).status == "draft"


def test_the_nearest_rank_percentile():
    values = list(range(1, 101))

    assert search.percentile(values, 0.95) == 95
    assert search.percentile([3.0], 0.95) == 3.0


@pytest.mark.database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_seeded_articles_are_found_and_every_kind_is_timed():
    measured = search.measure(sizes=[30], runs=3)

    size = measured["sizes"]["30"]
    assert size["added"] == 30
    assert set(size["queries"]) == {"one word", "three words", "no match"}
    assert all(
        q["runs"] == 3 and q["p95_ms"] >= q["median_ms"] > 0 for q in size["queries"].values()
    )
    assert size["queries"]["no match"]["median_matches"] == 0
    # A second run at the same size adds nothing; a smaller one is refused.
    assert search.seed(30, writer=search.Writer()) == 0
    with pytest.raises(RuntimeError, match="a database of its own"):
        search.seed(10, writer=search.Writer())
    if measured["vendor"] in ("postgresql", "mysql"):
        plan = measured["explain"]["one word"]
        assert plan["plan"], plan


def test_the_servers_get_a_database_per_size(tmp_path):
    found = search_databases(
        tmp_path,
        ["postgres://root@127.0.0.1:5432/filamenta_bench", "mysql://root@h:3306/filamenta_bench"],
    )

    assert found["sqlite"](10) == f"sqlite:///{tmp_path / 'search-10.sqlite3'}"
    assert found["postgresql"](100_000) == "postgres://root@127.0.0.1:5432/filamenta_search_100000"
    assert found["mysql"](10_000) == "mysql://root@h:3306/filamenta_search_10000"


def test_the_target_is_per_database_at_100000_articles():
    slow = results()
    slow["search"]["mysql"]["sizes"]["100000"]["queries"]["one word"] = search_figures(80.0)
    partial = copy.deepcopy(slow)
    del partial["search"]["postgresql"]["sizes"]["100000"]

    verdicts = {v.scope: v for v in evaluate(slow) if v.target.startswith("search")}
    partial_verdicts = {v.scope: v for v in evaluate(partial) if v.target.startswith("search")}

    assert verdicts["sqlite"].met is True
    assert verdicts["mysql"].met is False
    assert "80.0 ms (one word" in verdicts["mysql"].measured
    assert partial_verdicts["postgresql"].met is None
    assert partial_verdicts["postgresql"].measured == "only up to 10,000 articles"


def test_the_report_has_a_row_per_database_size_and_query_and_the_plans():
    data = results()
    data["search"]["postgresql"]["explain"] = {
        "one word": {
            "query": "garden",
            "plan": ["Bitmap Index Scan on content_article_search"],
            "indexes": ["content_article_search"],
            "full_scans": [],
        }
    }

    text = "\n".join(search_section(data))

    assert text.count("| 100,000 |") == 9
    assert "indexes used content_article_search" in text
    assert "Bitmap Index Scan on content_article_search" in text


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 1, 1, tzinfo=UTC)
