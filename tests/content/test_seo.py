"""What search engines and link previews read on the public pages.

Meta description, canonical URL, Open Graph and Twitter card, JSON-LD
``Article`` (safe whatever the title holds) and robots.txt. The absolute URLs
and the made-up Host headers are in test_seo_origin.py.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.cache import caches
from django.utils import timezone

from apps.content.models import Article
from apps.content.services import article_create
from apps.siteadmin.services import site_settings_update
from tests.content.test_public_views import MAX_QUERIES_COLD
from tests.content.test_subpath import MOUNTED, wsgi_get

pytestmark = pytest.mark.django_db

HOSTILE = "</script><script>alert(1)</script>"


class Head(HTMLParser):
    """The <meta>, <link> and <script> elements of a page, as a browser parses them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = {k: v or "" for k, v in attrs}
        if tag == "meta" and ("name" in attrs or "property" in attrs):
            self.meta[attrs.get("name") or attrs["property"]] = attrs.get("content", "")
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script":
            self._script = attrs
            self.scripts.append((attrs, ""))

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def canonical(self) -> str | None:
        found = [link["href"] for link in self.links if link.get("rel") == "canonical"]
        assert len(found) <= 1, found
        return found[0] if found else None

    def json_ld(self) -> dict:
        (data,) = [json.loads(t) for a, t in self.scripts if a.get("type") == "application/ld+json"]
        return data


def head(client, url: str, **extra) -> Head:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return Head(response.content.decode())


def publish(title="Lamps of the harbour", **fields) -> Article:
    fields.setdefault("body", "<p>" + " ".join(f"word{n}" for n in range(40)) + "</p>")
    return article_create(
        title=title,
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
        **fields,
    )


# Meta description ------------------------------------------------------------


def test_an_article_s_description_is_its_meta_description(client):
    article = publish(meta_description="What the lamps of the harbour tell ships.")

    page = head(client, article.get_absolute_url())

    assert page.meta["description"] == "What the lamps of the harbour tell ships."
    assert page.meta["og:description"] == "What the lamps of the harbour tell ships."
    assert page.meta["twitter:description"] == "What the lamps of the harbour tell ships."


def test_without_one_it_is_the_start_of_the_text(client):
    article = publish()

    page = head(client, article.get_absolute_url())

    words = " ".join(f"word{n}" for n in range(30))
    assert page.meta["description"] == f"{words} …"
    assert "<p>" not in page.meta["description"]


def test_home_and_list_describe_the_site(client, editor):
    site_settings_update(by=editor, site_name="Harbour notes", tagline="Lamps and ships")

    home = head(client, "/")
    listing = head(client, "/articles/")
    site_settings_update(by=editor, tagline="")
    bare = head(client, "/")

    assert home.meta["description"] == "Lamps and ships"
    assert home.meta["og:title"] == "Harbour notes"
    assert listing.meta["description"] == "Every article and post of Harbour notes, newest first."
    assert bare.meta["description"] == "Harbour notes"


# Canonical URL ---------------------------------------------------------------


def test_the_canonical_url_is_the_page_s_absolute_address(client, editor):
    site_settings_update(by=editor, items_per_page=1)
    article = publish()
    publish("Another")

    assert head(client, article.get_absolute_url()).canonical() == (
        f"http://testserver/articles/{article.slug}/"
    )
    assert head(client, "/").canonical() == "http://testserver/"
    assert head(client, "/articles/").canonical() == "http://testserver/articles/"
    assert head(client, "/articles/?page=2").canonical() == "http://testserver/articles/?page=2"


@pytest.mark.parametrize("query", ["?page=5", "?utm_source=x", "?q=%3Cscript%3E"])
def test_made_up_query_strings_never_reach_the_canonical_url(client, query):
    publish()

    first = head(client, f"/{query}")
    plain = head(client, "/")

    assert first.canonical() == "http://testserver/"
    assert plain.canonical() == "http://testserver/"


def test_error_pages_have_no_canonical_url(client):
    response = client.get("/articles/no-such-thing/")

    assert response.status_code == 404
    assert Head(response.content.decode()).canonical() is None


# Open Graph and Twitter card -------------------------------------------------


def test_an_article_is_shared_as_an_article(client, editor):
    site_settings_update(by=editor, site_name="Harbour notes")
    article = publish(meta_description="Short.")

    page = head(client, article.get_absolute_url())

    assert page.meta["og:title"] == "Lamps of the harbour"
    assert page.meta["og:type"] == "article"
    assert page.meta["og:site_name"] == "Harbour notes"
    assert page.meta["og:url"] == f"http://testserver/articles/{article.slug}/"
    assert page.meta["og:description"] == "Short."
    assert page.meta["twitter:card"] == "summary"  # no picture
    assert page.meta["twitter:title"] == "Lamps of the harbour"
    assert page.meta["article:published_time"] == article.published_at.isoformat()
    assert "og:image" not in page.meta
    assert "robots" not in page.meta


def test_a_page_is_shared_as_a_website(client):
    article = publish("About", kind=Article.Kind.PAGE)

    page = head(client, article.get_absolute_url())

    assert page.meta["og:type"] == "website"
    assert page.json_ld()["@type"] == "WebPage"


def test_a_draft_preview_asks_not_to_be_indexed(client, editor):
    draft = article_create(title="Not yet", author=editor, by=editor)
    client.force_login(editor)

    page = head(client, draft.get_absolute_url())

    assert page.meta["robots"] == "noindex"


# JSON-LD ---------------------------------------------------------------------


def test_json_ld_describes_the_article(client, editor):
    site_settings_update(by=editor, site_name="Harbour notes")
    article = publish(author=editor, meta_description="Short.")
    article.refresh_from_db()

    data = head(client, article.get_absolute_url()).json_ld()

    url = f"http://testserver/articles/{article.slug}/"
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Article"
    assert data["headline"] == "Lamps of the harbour"
    assert data["description"] == "Short."
    assert data["datePublished"] == article.published_at.isoformat(timespec="seconds")
    assert data["dateModified"] == article.updated_at.isoformat(timespec="seconds")
    assert data["author"] == {"@type": "Person", "name": str(editor)}
    assert data["publisher"] == {"@type": "Organization", "name": "Harbour notes"}
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert "image" not in data


def test_a_hostile_title_cannot_leave_the_json_ld_script(client):
    article = publish(HOSTILE, meta_description=f"{HOSTILE} & <!-- more")

    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    page = Head(html)

    assert HOSTILE not in html
    assert "<script>" not in html
    # One script element in the whole page, the data block, and it holds the title intact.
    assert [attrs for attrs, _ in page.scripts] == [{"type": "application/ld+json"}]
    assert page.json_ld()["headline"] == HOSTILE
    assert page.json_ld()["description"] == f"{HOSTILE} & <!-- more"
    (block,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in block
    assert ">" not in block
    assert "&" not in block


def test_the_csp_allows_no_inline_script_yet_json_ld_is_a_data_block(client):
    # script-src 'self' refuses inline scripts; an ld+json block is data, not a
    # script, so browsers neither run nor check it (tests/browser measures it in Chromium).
    article = publish()

    response = client.get(article.get_absolute_url())

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert '<script type="application/ld+json">' in response.content.decode()


def test_seo_adds_no_query_to_the_article_page(client, django_assert_max_num_queries):
    # The bounded-query budget of tests/content/test_public_views.py, cold, with a picture-less
    # article: everything SEO shows comes from rows the page has already read.
    article = publish()
    client.get(article.get_absolute_url())
    caches["default"].clear()
    with django_assert_max_num_queries(MAX_QUERIES_COLD):
        client.get(article.get_absolute_url())


# robots.txt ------------------------------------------------------------------


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Sitemap: http://testserver/sitemap.xml",
    ]


def test_robots_txt_is_served_from_the_page_cache(client, django_assert_max_num_queries):
    assert client.get("/robots.txt")["X-Page-Cache"] == "miss"
    with django_assert_max_num_queries(1):  # the page's cache version
        assert client.get("/robots.txt")["X-Page-Cache"] == "hit"


@MOUNTED
def test_robots_txt_under_a_sub_path_names_its_own_admin_and_sitemap():
    status, _, body = wsgi_get("/robots.txt")

    assert status.startswith("200")
    assert "Disallow: /blog/admin/" in body.splitlines()
    assert "Sitemap: http://testserver/blog/sitemap.xml" in body.splitlines()


@MOUNTED
def test_canonical_and_json_ld_under_a_sub_path(client):
    article = publish()
    _, _, html = wsgi_get(f"/articles/{article.slug}/")

    page = Head(html)
    assert page.canonical() == f"http://testserver/blog/articles/{article.slug}/"
    assert page.json_ld()["mainEntityOfPage"]["@id"] == page.canonical()


# Feeds -----------------------------------------------------------------------


def test_every_page_points_to_the_site_feed(client):
    article = publish()

    for url in ("/", "/articles/", article.get_absolute_url()):
        feeds = [
            link["href"]
            for link in head(client, url).links
            if link.get("rel") == "alternate" and link.get("type") == "application/rss+xml"
        ]
        assert "/feed/" in feeds
