"""Absolute URLs on cached pages never come from the client's Host header.

The page cache keeps one copy per ALLOWED_HOSTS entry (``canonical_host``):
whatever one client sends as Host is served to the next. Canonical URLs,
og:url, og:image, JSON-LD and robots.txt's Sitemap line are therefore built
from CANONICAL_ORIGIN, or the entry the host matched, or left out.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from apps.content.models import Article
from apps.content.services import article_create
from apps.media.services import media_upload
from filamenta.environment import env
from filamenta.site_url import canonical_origin_from_env
from tests.conftest import run_manage
from tests.content.test_seo import Head
from tests.media.conftest import image_bytes, media_root, upload  # noqa: F401

pytestmark = pytest.mark.django_db

PATTERN_HOSTS = override_settings(ALLOWED_HOSTS=[".example.com"])
ORIGIN = override_settings(
    ALLOWED_HOSTS=[".example.com"], CANONICAL_ORIGIN="https://www.example.com"
)


@pytest.fixture
def article():
    return article_create(
        title="Lamps",
        body="<p>Words</p>",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def page(client, url: str, host: str) -> tuple[str, str]:
    response = client.get(url, HTTP_HOST=host)
    assert response.status_code == 200
    return response.content.decode(), response.get("X-Page-Cache", "")


def test_a_made_up_port_never_reaches_the_cached_copy(client, article):
    first, state = page(client, article.get_absolute_url(), "localhost:6666")
    second, again = page(client, article.get_absolute_url(), "localhost")

    assert (state, again) == ("miss", "hit")
    assert "6666" not in first
    assert Head(second).canonical() == f"http://localhost/articles/{article.slug}/"
    assert Head(second).json_ld()["url"] == Head(second).canonical()


@PATTERN_HOSTS
@pytest.mark.parametrize("url", ["/", "/articles/", "ARTICLE", "/robots.txt"])
def test_a_made_up_name_under_a_pattern_is_never_in_the_page(client, article, url):
    url = article.get_absolute_url() if url == "ARTICLE" else url

    made_up, state = page(client, url, "attacker.example.com")
    honest, again = page(client, url, "www.example.com")

    assert (state, again) == ("miss", "hit")  # one copy for the whole pattern
    for html in (made_up, honest):
        assert "attacker" not in html
        assert "www.example.com" not in html  # no single host to name: no absolute URL
    if url != "/robots.txt":
        assert Head(honest).canonical() is None
        assert "og:url" not in Head(honest).meta
    else:
        assert "Sitemap:" not in honest


@ORIGIN
@pytest.mark.parametrize("url", ["/", "ARTICLE", "/robots.txt"])
def test_canonical_origin_names_the_site_whatever_the_host(client, article, url):
    url = article.get_absolute_url() if url == "ARTICLE" else url

    made_up, _ = page(client, url, "attacker.example.com")
    honest, state = page(client, url, "example.com")

    assert state == "hit"
    assert "attacker" not in made_up
    if url == "/robots.txt":
        assert "Sitemap: https://www.example.com/sitemap.xml" in honest.splitlines()
        return
    expected = f"https://www.example.com{url}"
    for html in (made_up, honest):
        assert Head(html).canonical() == expected
        assert Head(html).meta["og:url"] == expected
    if url != "/":
        assert Head(honest).json_ld()["mainEntityOfPage"]["@id"] == expected


@pytest.mark.database
@ORIGIN
def test_the_shared_picture_is_on_the_canonical_origin_too(client, media_root, editor):  # noqa: F811
    picture = media_upload(
        file=upload("sky.jpg", image_bytes("JPEG", (1600, 900))),
        title="Sky",
        alt_text="An evening sky",
        by=editor,
    )
    article = article_create(
        title="Pictured",
        status=Article.Status.PUBLISHED,
        featured_image=picture,
        author=editor,
        by=editor,
    )

    html, _ = page(client, article.get_absolute_url(), "attacker.example.com")
    head = Head(html)

    assert head.meta["og:image"].startswith("https://www.example.com/")
    assert head.meta["og:image:alt"] == "An evening sky"
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.json_ld()["image"] == [head.meta["og:image"]]
    assert "attacker" not in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", ""),
        ("https://www.example.com", "https://www.example.com"),
        ("https://WWW.Example.com/", "https://www.example.com"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_canonical_origin_accepts_an_origin(monkeypatch, value, expected):
    monkeypatch.setenv("CANONICAL_ORIGIN", value)

    assert canonical_origin_from_env(env) == expected


@pytest.mark.parametrize(
    "value",
    [
        "www.example.com",
        "ftp://example.com",
        "https://example.com/blog",
        "https://example.com/?x=1",
        "https://example.com/#top",
        "https://user:pw@example.com",
        "https://example.com:99999",
        "https://example.com:port",
        "https://",
        "javascript:alert(1)",
        "https://exa mple.com",
        "https://exa<mple.com",
        "https://bücher.example",
    ],
)
def test_anything_else_stops_start_up_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("CANONICAL_ORIGIN", value)

    with pytest.raises(ImproperlyConfigured, match="CANONICAL_ORIGIN"):
        canonical_origin_from_env(env)


def test_a_bad_canonical_origin_stops_manage_py(clean_env):
    result = run_manage("check", env={**clean_env, "CANONICAL_ORIGIN": "https://example.com/blog"})

    assert result.returncode != 0
    assert "CANONICAL_ORIGIN='https://example.com/blog' is not an origin" in result.stderr
