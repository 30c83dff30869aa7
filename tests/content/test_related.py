"""Related articles: shared tags first, then the same section, newest first among equals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.content.selectors import article_list_related
from apps.content.services import article_update, section_create

pytestmark = [pytest.mark.database, pytest.mark.django_db]


@pytest.fixture
def publish(make_article):
    def make(title: str, *, hours_ago: float = 1, **fields):
        return make_article(
            title, published_at=timezone.now() - timedelta(hours=hours_ago), **fields
        )

    return make


@pytest.fixture
def sections(editor):
    return section_create(name="Lamps", by=editor), section_create(name="Wires", by=editor)


def titles(articles) -> list[str]:
    return [a.title for a in articles]


def test_most_shared_tags_first_then_the_same_section_then_the_newest(publish, sections):
    lamps, wires = sections
    article = publish("Subject", section=lamps, tags=["x", "y", "z"], hours_ago=10)
    publish("Two tags", section=wires, tags=["x", "y"], hours_ago=9)
    publish("One tag, same section", section=lamps, tags=["x"], hours_ago=8)
    publish("One tag, newer", section=wires, tags=["z"], hours_ago=1)
    publish("One tag, older", section=wires, tags=["y"], hours_ago=7)
    publish("Same section only, newest", section=lamps, hours_ago=0.5)

    related = article_list_related(article=article)

    assert titles(related) == ["Two tags", "One tag, same section", "One tag, newer"]


def test_without_shared_tags_the_same_section_newest_first(publish, sections):
    lamps, wires = sections
    article = publish("Subject", section=lamps, tags=["only-mine"], hours_ago=10)
    publish("Old", section=lamps, hours_ago=5)
    publish("New", section=lamps, hours_ago=1)
    publish("Other section", section=wires, hours_ago=0.1)

    assert titles(article_list_related(article=article)) == ["New", "Old"]


def test_an_article_with_no_tags_and_no_section_has_none(publish):
    article = publish("Alone")
    publish("Another")

    assert article_list_related(article=article) == []


def test_only_published_items_and_never_the_article_itself(publish, make_article, sections):
    lamps, _ = sections
    article = publish("Subject", section=lamps, tags=["x", "y"])
    make_article("Draft", published=False, section=lamps, tags=["x", "y"])
    publish("Scheduled", section=lamps, tags=["x", "y"], hours_ago=-3)
    publish("Ended", section=lamps, tags=["x", "y"], hours_ago=5,
            unpublish_at=timezone.now() - timedelta(hours=1))  # fmt: skip
    publish("Shown", tags=["x"])

    assert titles(article_list_related(article=article)) == ["Shown"]


def test_an_item_sharing_several_tags_is_counted_once(publish, sections):
    lamps, _ = sections
    article = publish("Subject", section=lamps, tags=["a", "b", "c"])
    publish("All three", section=lamps, tags=["a", "b", "c"], hours_ago=2)

    related = article_list_related(article=article)

    assert titles(related) == ["All three"]
    assert related[0].shared == 3


def test_two_queries_at_most_whatever_the_number_of_tags_and_candidates(publish, sections):
    lamps, _ = sections
    names = [f"t{n}" for n in range(20)]
    article = publish("Subject", section=lamps, tags=names)
    for n in range(15):
        publish(f"Candidate {n}", section=lamps, tags=names[: n + 1], hours_ago=n + 2)
    article_list_related(article=article)  # creates the cache versions
    article_list_related.invalidate()

    with CaptureQueriesContext(connection) as captured:
        related = article_list_related(article=article)

    selects = [q for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    content = [q for q in selects if "content_article" in q["sql"] and "title" in q["sql"]]
    assert len(content) == 1  # three share tags: the section is not read
    assert titles(related) == ["Candidate 14", "Candidate 13", "Candidate 12"]

    article_update(article=article, by=None, tags=["only-mine"])
    with CaptureQueriesContext(connection) as captured:
        related = article_list_related(article=article)

    # None shares a tag now: the tag query, then the section's newest.
    reads = [q for q in captured if "content_article" in q["sql"] and "title" in q["sql"]]
    assert len(reads) == 2
    assert titles(related) == ["Candidate 0", "Candidate 1", "Candidate 2"]


def test_the_article_page_shows_them_and_follows_a_retag(client, publish, editor):
    article = publish("Subject", tags=["glow"])
    publish("Glowing too", tags=["glow"])
    publish("Later", tags=["copper"])

    html = client.get("/articles/subject/").content.decode()
    assert "Related" in html
    assert '<a href="/articles/glowing-too/">Glowing too</a>' in html
    assert "/articles/later/" not in html

    article_update(article=article, by=editor, tags=["copper"])

    html = client.get("/articles/subject/").content.decode()
    assert '<a href="/articles/later/">Later</a>' in html
    assert "/articles/glowing-too/" not in html


def test_an_article_with_nothing_related_shows_no_block(client, publish):
    publish("Lonely")

    assert 'class="related"' not in client.get("/articles/lonely/").content.decode()
