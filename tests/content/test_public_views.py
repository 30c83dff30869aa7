"""Home, list, detail, feed and sitemap: what visitors see, and how many queries it costs."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.content.models import Article, Section
from apps.siteadmin.services import site_settings_update

pytestmark = pytest.mark.django_db

# Cold cache: one cache-version read per cached call, plus the page's own reads,
# plus the next scheduled change (its version read and two indexed queries).
MAX_QUERIES_COLD = 11
# Warm cache: only the version reads (kept in the database on the test's memory tier).
MAX_QUERIES_WARM = 3


def publish(title, *, slug=None, kind=Article.Kind.ARTICLE, hours_ago=1, **fields):
    return Article.objects.create(
        title=title,
        slug=slug or title.lower().replace(" ", "-"),
        body=f"<p>Body of {title}</p>",
        kind=kind,
        published_at=timezone.now() - timedelta(hours=hours_ago),
        **{"status": Article.Status.PUBLISHED, **fields},
    )


def test_home_lists_published_articles_newest_first(client):
    publish("Older", hours_ago=5)
    publish("Newer", hours_ago=1)
    Article.objects.create(title="Secret draft", slug="secret-draft")

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Newer") < html.index("Older")
    assert "Secret draft" not in html


def test_list_is_paginated_by_the_site_settings(client, editor):
    site_settings_update(by=editor, items_per_page=2)
    for n in range(5):
        publish(f"Item {n}", hours_ago=n + 1)

    first = client.get("/articles/")
    third = client.get("/articles/?page=3")

    assert first.status_code == 200
    assert "Item 0" in first.content.decode()
    assert "Item 2" not in first.content.decode()
    assert "Page 1 of 3" in first.content.decode()
    assert "Item 4" in third.content.decode()


@pytest.mark.parametrize("page", ["0", "4", "abc", "-1", "1.5", "\uff19", "9" * 50, ""])
def test_pages_that_do_not_exist_are_404(client, page):
    publish("Only")

    response = client.get("/articles/", {"page": page})

    assert response.status_code == (200 if page == "" else 404)


def test_detail_shows_a_published_article(client):
    publish("Hello", slug="hello")

    response = client.get("/articles/hello/")

    assert response.status_code == 200
    assert "<p>Body of Hello</p>" in response.content.decode()


@pytest.mark.parametrize("slug", ["missing", "UPPER", "a" * 300, "x-" * 20])
def test_unknown_slugs_are_404(client, slug):
    response = client.get(f"/articles/{slug}/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_drafts_are_visible_to_staff_only(client, editor, make_user):
    Article.objects.create(title="Draft", slug="draft", body="<p>wip</p>")
    reader = make_user("reader", role="reader")

    anonymous = client.get("/articles/draft/")
    client.force_login(reader)
    as_reader = client.get("/articles/draft/")
    client.force_login(editor)
    as_editor = client.get("/articles/draft/")

    assert anonymous.status_code == 404
    assert as_reader.status_code == 404
    assert as_editor.status_code == 200
    assert "only staff can see this page" in as_editor.content.decode()
    assert "no-store" in as_editor["Cache-Control"]


def test_archived_items_keep_their_address_but_leave_the_lists(client):
    publish("Gone", slug="gone", status=Article.Status.ARCHIVED)

    assert client.get("/articles/gone/").status_code == 200
    assert "Gone" not in client.get("/articles/").content.decode()
    assert "Gone" not in client.get("/feed/").content.decode()


def test_pages_are_not_in_the_article_list_but_in_the_sitemap(client):
    publish("About us", slug="about", kind=Article.Kind.PAGE)

    assert "About us" not in client.get("/articles/").content.decode()
    assert "/articles/about/" in client.get("/sitemap.xml").content.decode()


def test_feed_is_rss_with_the_newest_items(client):
    publish("First", hours_ago=2)
    publish("Second <b>bold</b> & more", slug="second", hours_ago=1)
    Article.objects.create(title="Hidden", slug="hidden")

    response = client.get("/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ElementTree.fromstring(response.content).find("channel")  # noqa: S314 - ours
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles == ["Second <b>bold</b> & more", "First"]
    assert channel.findall("item")[0].findtext("link") == "http://testserver/articles/second/"


def test_sitemap_lists_every_published_item(client):
    publish("One", slug="one")
    publish("Two", slug="two")
    Article.objects.create(title="Draft", slug="draft")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    locations = [
        loc.text
        for loc in ElementTree.fromstring(response.content).iter(  # noqa: S314 - ours
            "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
        )
    ]
    assert "http://testserver/articles/one/" in locations
    assert "http://testserver/articles/two/" in locations
    assert "http://testserver/" in locations
    assert not any("draft" in location for location in locations)


# The section and tag pages and feeds (tests/content/test_taxonomy_pages.py): their
# items carry a section and tags, which the article page shows with related items.
TAXONOMY_URLS = ["/sections/s/", "/tags/t/", "/sections/s/feed/", "/tags/t/feed/"]
# Reads some pages make beyond the list's, each a fixed number: the article's tags
# and its related items (a cached call: its version, its query), its translations
# (the hreflang links, one query); the section or
# tag itself; the sitemap's sections and tags (one cached call, two queries).
EXTRA_QUERIES_COLD = {"/articles/a-1/": 3, "/sections/s/": 1, "/tags/t/": 1, "/sitemap.xml": 1}


def publish_classified(n: int, **fields) -> Article:
    """Item ``n`` in section "s" (or one of its own), with tag "t" and tags of its own."""
    section, _ = Section.objects.get_or_create(
        slug="s" if n % 2 else f"s{n}", defaults={"name": f"S{n}"}
    )
    article = publish(f"A {n}", slug=f"a-{n}", hours_ago=n + 1, section=section, **fields)
    article.tags.add("t", f"tag {n}", f"tag {n + 1}")
    return article


@pytest.mark.parametrize(
    "url", ["/", "/articles/", "/articles/a-1/", "/feed/", "/sitemap.xml", *TAXONOMY_URLS]
)
def test_public_pages_run_a_bounded_number_of_queries(client, url, django_assert_max_num_queries):
    for n in range(30):
        publish_classified(n)
    # Once per site, not per page: the cache versions are created.
    client.get(url)
    caches["default"].clear()

    with django_assert_max_num_queries(MAX_QUERIES_COLD + EXTRA_QUERIES_COLD.get(url, 0)):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES_WARM):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/", "/articles/", "/articles/a-1/", "/feed/", "/sitemap.xml", *TAXONOMY_URLS]
)
def test_query_count_does_not_grow_with_the_content(client, url):
    def cold_queries() -> int:
        caches["default"].clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    # Four: the article page's three related items are found by their tags alone
    # (fewer would read the section too, one query more, never more than that).
    for n in range(4):
        publish_classified(n)
    client.get(url)  # creates the cache versions
    few = cold_queries()
    for n in range(4, 40):
        publish_classified(n, author=None)
    client.get(url)
    many = cold_queries()

    assert many == few


def test_a_cached_page_changes_when_the_article_does(client):
    article = publish("Before", slug="story")
    assert "Before" in client.get("/articles/story/").content.decode()
    assert "Before" in client.get("/").content.decode()

    article.title = "After"
    article.save()

    assert "After" in client.get("/articles/story/").content.decode()
    assert "After" in client.get("/").content.decode()


def test_unpublishing_removes_it_from_the_cached_lists(client):
    article = publish("Visible", slug="visible")
    assert "Visible" in client.get("/").content.decode()

    article.status = Article.Status.DRAFT
    article.save()

    assert "Visible" not in client.get("/").content.decode()
    assert client.get("/articles/visible/").status_code == 404


def test_site_settings_appear_on_every_page(client, editor):
    site_settings_update(by=editor, site_name="Lamp Notes", tagline="Bright ideas",
                         contact_email="hello@example.com")  # fmt: skip

    html = client.get("/").content.decode()

    assert "Lamp Notes" in html
    assert "Bright ideas" in html
    assert "mailto:hello@example.com" in html
