"""Mounted under a sub-path (APPLICATION_ROOT / SCRIPT_NAME), every link keeps the prefix."""

import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import RequestFactory, override_settings
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import timezone

from apps.content.models import Article

pytestmark = pytest.mark.django_db

# STATIC_URL is overridden with its own value so that Django and the storage
# recompute the prefixed URL (Django caches it the first time it is read).
MOUNTED = override_settings(FORCE_SCRIPT_NAME="/blog", STATIC_URL="static/")


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"#?][^"]*)"', html)


def wsgi_get(path: str, **environ: str) -> tuple[str, dict[str, str], str]:
    """GET through Django's real WSGI handler, which (unlike the test client) applies
    SCRIPT_NAME / FORCE_SCRIPT_NAME to every URL it builds."""
    base = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET", **environ)
    captured = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    try:
        body = b"".join(WSGIHandler()(base, start_response)).decode()
    finally:
        clear_script_prefix()
    return captured["status"], captured["headers"], body


@pytest.fixture
def mounted_client(client):
    """The test client with the prefix the WSGI handler would have set."""
    set_script_prefix("/blog/")
    yield client
    clear_script_prefix()


@pytest.fixture
def story():
    return Article.objects.create(
        title="Story", slug="story", status="published", published_at=timezone.now()
    )


@MOUNTED
@pytest.mark.parametrize("url", ["/", "/articles/", "/articles/story/", "/accounts/login/"])
def test_every_local_link_and_asset_has_the_prefix(story, url):
    status, _, html = wsgi_get(url)

    assert status.startswith("200")
    # The canonical URL is absolute (this host): its path must carry the prefix too.
    found = [
        link.removeprefix("http://testserver")
        for link in links(html)
        if not link.startswith("mailto:")
    ]
    assert found
    assert all(link.startswith("/blog/") for link in found), found
    assert "/blog/static/css/site.css" in found


def test_the_server_s_script_name_is_honoured_too(story):
    with override_settings(STATIC_URL="static/"):
        _, _, html = wsgi_get("/articles/story/", SCRIPT_NAME="/blog")

    assert 'href="/blog/articles/"' in html
    assert 'href="/blog/static/css/site.css"' in html


@MOUNTED
def test_feed_and_sitemap_link_under_the_prefix(story):
    assert "http://testserver/blog/articles/story/" in wsgi_get("/feed/")[2]
    assert "http://testserver/blog/articles/story/" in wsgi_get("/sitemap.xml")[2]


@MOUNTED
def test_login_redirects_stay_under_the_prefix(mounted_client, make_user):
    from tests.fixtures import PASSWORD

    make_user("sam")

    anonymous = mounted_client.get("/accounts/profile/")
    signed_in = mounted_client.post("/accounts/login/", {"username": "sam", "password": PASSWORD})

    assert anonymous["Location"] == "/blog/accounts/login/?next=/blog/accounts/profile/"
    assert signed_in["Location"] == "/blog/accounts/profile/"


@MOUNTED
def test_the_admin_works_under_the_prefix(mounted_client, make_user):
    mounted_client.force_login(make_user("root", is_staff=True, is_superuser=True))

    html = mounted_client.get("/admin/").content.decode()

    assert 'href="/blog/admin/operations/"' in html
    assert 'href="/blog/admin/content/article/"' in html
