"""Section and tag pages, their feeds and sitemap entries: what visitors see of the taxonomy."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from apps.content.models import Article
from apps.content.services import (
    article_update,
    section_create,
    section_delete,
    section_update,
    tag_create,
    tag_delete,
    tag_update,
)
from apps.siteadmin.services import site_settings_update

pytestmark = [pytest.mark.database, pytest.mark.django_db]

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def ago(hours: float):
    return timezone.now() - timedelta(hours=hours)


@pytest.fixture
def section(editor):
    return section_create(name="Lamps", description="All about lamps.", by=editor)


@pytest.fixture
def publish(make_article):
    def make(title: str, *, hours_ago: float = 1, **fields):
        return make_article(title, published_at=ago(hours_ago), **fields)

    return make


def feed_titles(response) -> list[str]:
    channel = ElementTree.fromstring(response.content).find("channel")  # noqa: S314 - ours
    return [item.findtext("title") for item in channel.findall("item")]


def sitemap_entries(client) -> dict[str, str | None]:
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - ours
    return {
        url.findtext(f"{SITEMAP_NS}loc"): url.findtext(f"{SITEMAP_NS}lastmod")
        for url in root.iter(f"{SITEMAP_NS}url")
    }


# The pages -------------------------------------------------------------------


def test_a_section_page_lists_its_published_items_newest_first(client, section, publish, editor):
    publish("Older lamp", section=section, hours_ago=5)
    publish("Newer lamp", section=section, hours_ago=1)
    publish("Elsewhere", hours_ago=2)
    publish("A page in it", section=section, kind=Article.Kind.PAGE, hours_ago=3)

    response = client.get("/sections/lamps/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Lamps</h1>" in html
    assert "All about lamps." in html
    assert html.index("Newer lamp") < html.index("A page in it") < html.index("Older lamp")
    assert "Elsewhere" not in html
    assert 'href="/sections/lamps/feed/"' in html


def test_a_tag_page_lists_the_published_items_with_the_tag(client, publish):
    publish("Tagged old", tags=["Copper"], hours_ago=4)
    publish("Tagged new", tags=["copper", "glow"], hours_ago=1)
    publish("Untagged")

    response = client.get("/tags/copper/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Tagged new") < html.index("Tagged old")
    assert "Untagged" not in html
    assert 'href="/tags/copper/feed/"' in html


def test_drafts_scheduled_and_unpublished_items_never_appear(
    client, section, publish, make_article
):
    publish("Live", section=section, tags=["t"])
    make_article("A draft", published=False, section=section, tags=["t"])
    publish("Scheduled", section=section, tags=["t"], hours_ago=-2)
    publish("Gone already", section=section, tags=["t"], hours_ago=5, unpublish_at=ago(1))
    make_article("Archived", published=False, section=section, tags=["t"],
                 status=Article.Status.ARCHIVED, published_at=ago(1))  # fmt: skip

    for url in ("/sections/lamps/", "/tags/t/", "/sections/lamps/feed/", "/tags/t/feed/"):
        html = client.get(url).content.decode()
        assert "Live" in html, url
        for hidden in ("A draft", "Scheduled", "Gone already", "Archived"):
            assert hidden not in html, (url, hidden)


def travel(monkeypatch, *, hours: float) -> None:
    """Move the clock forward: Django's and the cache's (LocMem expiry, ``until``) alike."""
    shift = hours * 3600
    real_time, real_now = time.time, timezone.now
    monkeypatch.setattr(time, "time", lambda: real_time() + shift)
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=shift))


def test_a_scheduled_item_appears_on_its_own_at_its_time(client, section, publish, monkeypatch):
    publish("Soon", section=section, tags=["t"], hours_ago=-1)
    publish("Now", section=section, tags=["t"])
    urls = ("/sections/lamps/", "/tags/t/", "/sections/lamps/feed/", "/tags/t/feed/")
    for url in urls:
        assert "Soon" not in client.get(url).content.decode(), url
    assert client.get("/sections/lamps/").get("X-Page-Cache") == "hit"

    travel(monkeypatch, hours=1.01)

    for url in urls:
        assert "Soon" in client.get(url).content.decode(), url


def test_pages_are_paginated_like_the_article_list(client, section, publish, editor):
    site_settings_update(by=editor, items_per_page=2)
    for n in range(5):
        publish(f"Item {n}", section=section, tags=["many"], hours_ago=n + 1)

    for base in ("/sections/lamps/", "/tags/many/"):
        first = client.get(base).content.decode()
        third = client.get(base, {"page": "3"}).content.decode()
        assert "Item 0" in first
        assert "Item 2" not in first
        assert "Page 1 of 3" in first
        assert 'rel="next" href="?page=2"' in first
        assert "Item 4" in third
        assert "Item 0" not in third


@pytest.mark.parametrize("page", ["0", "4", "abc", "-1", "1.5", "\uff19", "9" * 50, "%00", "1 "])
@pytest.mark.parametrize("base", ["/sections/lamps/", "/tags/t/"])
def test_weird_page_numbers_are_404(client, section, publish, base, page):
    publish("Only", section=section, tags=["t"])

    response = client.get(base, {"page": page})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/sections/missing/",
        "/sections/missing/feed/",
        "/tags/missing/",
        "/tags/missing/feed/",
        "/sections/" + "a" * 300 + "/",
        "/tags/" + "a" * 300 + "/",
        "/tags/%E6%97%A5%E6%9C%AC/",  # 日本, no such tag
        "/tags/a%20b/",
        "/tags/a.b/",
        "/sections/%C3%A9t%C3%A9/",  # sections are ASCII slugs
    ],
)
def test_unknown_sections_and_tags_are_404(client, url):
    response = client.get(url)
    assert response.status_code == 404


def test_a_tag_only_drafts_carry_has_no_page_yet(client, make_article):
    make_article("Secret plan", published=False, tags=["merger"])

    assert client.get("/tags/merger/").status_code == 404
    assert client.get("/tags/merger/feed/").status_code == 404


def test_an_empty_section_has_a_page_and_an_empty_feed(client, section):
    page = client.get("/sections/lamps/")
    feed = client.get("/sections/lamps/feed/")

    assert page.status_code == 200
    assert "Nothing is published here yet." in page.content.decode()
    assert feed.status_code == 200
    assert feed_titles(feed) == []


# Slugs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [("été", "été"), ("日本", "日本"), ("Ünïcode Lamps", "ünïcode-lamps"), ("C++", "c")],
)
def test_every_tag_has_a_working_page_whatever_its_script(client, publish, name, slug):
    publish(f"About {name}", tags=[name])
    tag = Tag.objects.get(name=name)
    assert tag.slug == slug

    url = reverse("content:tag_detail", kwargs={"slug": tag.slug})
    response = client.get(url)

    assert url == "/tags/" + quote(slug) + "/"
    assert response.status_code == 200
    assert f"About {name}" in response.content.decode()
    assert client.get(url + "feed/").status_code == 200


@pytest.mark.parametrize("name", ["++", "!!!", "#", "…"])
def test_a_tag_of_punctuation_only_gets_a_slug_and_a_page(client, publish, editor, name):
    publish("Odd", tags=[name])
    tag = Tag.objects.get(name=name)

    assert tag.slug.startswith("tag-")
    assert client.get(f"/tags/{tag.slug}/").status_code == 200
    # The same name gives the same slug on every site (made from the name).
    tag_delete(tag=tag, by=editor)
    assert tag_create(name=name, by=editor).slug == tag.slug


def test_slugs_stay_when_a_tag_or_section_is_renamed(client, section, publish, editor):
    publish("Lit", section=section, tags=["glow"])
    tag = Tag.objects.get(name="glow")

    section_update(section=section, by=editor, name="Lamps and lanterns")
    tag_update(tag=tag, by=editor, name="Glowing")

    section.refresh_from_db()
    tag.refresh_from_db()
    assert (section.slug, tag.slug) == ("lamps", "glow")
    assert "Lamps and lanterns" in client.get("/sections/lamps/").content.decode()
    assert "Glowing" in client.get("/tags/glow/").content.decode()
    assert "Lamps and lanterns" in client.get("/articles/lit/").content.decode()


def test_a_new_tag_whose_slug_is_taken_is_numbered(publish):
    publish("One", tags=["Lamp"])
    publish("Two", tags=["lamp!"])  # slugifies to "lamp" too

    assert sorted(Tag.objects.values_list("slug", flat=True)) == ["lamp", "lamp_1"]


# The article page ------------------------------------------------------------------


def test_the_article_page_links_to_its_section_and_tags(client, section, publish):
    publish("Linked", section=section, tags=["glow", "日本"])

    html = client.get("/articles/linked/").content.decode()

    assert '<a href="/sections/lamps/">Lamps</a>' in html
    assert '<a rel="tag" href="/tags/glow/">glow</a>' in html
    assert f'<a rel="tag" href="/tags/{quote("日本")}/">日本</a>' in html


def test_lists_show_the_section(client, section, publish):
    publish("Listed", section=section)

    assert '<a href="/sections/lamps/">Lamps</a>' in client.get("/articles/").content.decode()


def test_a_deleted_section_leaves_its_articles_in_no_section(client, section, publish, editor):
    publish("Stays", section=section)

    section_delete(section=section, by=editor)

    assert client.get("/sections/lamps/").status_code == 404
    assert client.get("/articles/stays/").status_code == 200
    assert Article.objects.get(slug="stays").section is None


def test_a_deleted_tag_comes_off_its_articles(client, publish, editor):
    article = publish("Keeps", tags=["brief"])

    tag_delete(tag=Tag.objects.get(name="brief"), by=editor)

    assert client.get("/tags/brief/").status_code == 404
    assert list(article.tags.all()) == []
    assert "/tags/brief/" not in client.get("/articles/keeps/").content.decode()


def test_a_retag_shows_on_the_cached_pages(client, publish, editor):
    article = publish("Moving", tags=["before"])
    assert "Moving" in client.get("/tags/before/").content.decode()

    article_update(article=article, by=editor, tags=["after"])

    assert client.get("/tags/before/").status_code == 404
    assert "Moving" in client.get("/tags/after/").content.decode()


# Feeds --------------------------------------------------------------------------------


def test_section_and_tag_feeds_are_rss_of_their_newest_items(client, section, publish):
    publish("First", section=section, tags=["été"], hours_ago=2)
    publish("Second", section=section, tags=["été"], hours_ago=1)
    publish("Other")

    section_feed = client.get("/sections/lamps/feed/")
    tag_feed = client.get(reverse("content:tag_feed", kwargs={"slug": "été"}))

    for response in (section_feed, tag_feed):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/rss+xml")
        assert feed_titles(response) == ["Second", "First"]
    channel = ElementTree.fromstring(section_feed.content).find("channel")  # noqa: S314
    assert channel.findtext("title").startswith("Lamps · ")
    assert channel.findtext("link") == "http://testserver/sections/lamps/"
    assert channel.findtext("description") == "All about lamps."
    tag_channel = ElementTree.fromstring(tag_feed.content).find("channel")  # noqa: S314
    assert tag_channel.findtext("link") == "http://testserver/tags/%C3%A9t%C3%A9/"


def test_the_site_feed_is_unchanged(client, section, publish):
    publish("Anywhere", section=section)

    channel = ElementTree.fromstring(client.get("/feed/").content).find("channel")  # noqa: S314

    assert channel.findtext("link") == "http://testserver/"
    assert [i.findtext("title") for i in channel.findall("item")] == ["Anywhere"]


# Sitemap ------------------------------------------------------------------------------


def test_the_sitemap_lists_sections_and_tags_in_use_with_lastmod(client, editor, publish):
    lamps = section_create(name="Lamps", by=editor)
    section_create(name="Empty", by=editor)
    publish("Old", section=lamps, tags=["glow", "日本"], hours_ago=3)
    newest = publish("New", section=lamps, tags=["glow"], hours_ago=1)
    publish("Hidden", tags=["secret"], hours_ago=-1)

    entries = sitemap_entries(client)

    newest.refresh_from_db()
    assert entries["http://testserver/sections/lamps/"] == newest.updated_at.date().isoformat()
    assert entries["http://testserver/tags/glow/"] == newest.updated_at.date().isoformat()
    assert f"http://testserver/tags/{quote('日本')}/" in entries
    assert "http://testserver/sections/empty/" not in entries
    assert "http://testserver/tags/secret/" not in entries
    assert entries["http://testserver/articles/new/"] == newest.updated_at.date().isoformat()


def test_one_address_per_page_where_the_database_ignores_case(client, section, publish):
    """MariaDB/MySQL compare text without case: /tags/GLOW/ finds "glow", and sends there."""
    from django.db import connection

    publish("Lit", section=section, tags=["glow"])

    for url, canonical in (
        ("/tags/GLOW/", "/tags/glow/"),
        ("/sections/LAMPS/", "/sections/lamps/"),
    ):
        response = client.get(url, {"page": "1"})
        if connection.vendor == "mysql":
            assert response.status_code == 301
            assert response["Location"] == canonical
        else:
            assert response.status_code == 404


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_hostile_section_and_tag_names_are_inert(client, editor, publish, payload):
    section = section_create(name=payload[:100], slug="hostile", description=payload, by=editor)
    publish("Target", section=section, tags=[payload])
    tag = Tag.objects.get(name=payload)

    pages = ["/sections/hostile/", f"/tags/{tag.slug}/", "/articles/target/", "/articles/"]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url


def test_each_page_of_a_section_or_tag_is_its_own_canonical_address(
    client, section, publish, editor
):
    site_settings_update(by=editor, items_per_page=1)
    for n in range(2):
        publish(f"Item {n}", section=section, tags=["many"], hours_ago=n + 1)

    for base in ("/sections/lamps/", "/tags/many/"):
        first = client.get(base).content.decode()
        second = client.get(base, {"page": "2", "utm_source": "x"}).content.decode()
        assert f'<link rel="canonical" href="http://testserver{base}">' in first
        assert f'<link rel="canonical" href="http://testserver{base}?page=2">' in second
