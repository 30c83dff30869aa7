"""Public pages served whole from the cache to visitors without a session, and never stale."""

import pytest
from django.contrib.messages.storage.cookie import CookieStorage

from apps.content.models import Article
from apps.content.views import article_detail
from apps.siteadmin.services import site_settings_update
from tests.content.test_public_views import publish

pytestmark = pytest.mark.django_db


def test_second_visit_is_served_from_the_cache(client):
    publish("Cached once", slug="cached-once")

    first = client.get("/articles/cached-once/")
    second = client.get("/articles/cached-once/")

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Cookie" in second["Vary"]


def test_editing_the_article_is_seen_at_once(client):
    article = publish("Old title", slug="changing")
    client.get("/articles/changing/")

    article.title = "New title"
    article.save()
    response = client.get("/articles/changing/")

    assert response["X-Page-Cache"] == "miss"
    assert b"New title" in response.content


def test_changing_site_settings_refreshes_every_page(client, administrator):
    publish("Any", slug="any")
    client.get("/")

    site_settings_update(by=administrator, site_name="Renamed site")
    response = client.get("/")

    assert response["X-Page-Cache"] == "miss"
    assert b"Renamed site" in response.content


def test_made_up_query_strings_share_one_copy_but_pages_do_not(client):
    for n in range(30):
        publish(f"Article {n}", slug=f"article-{n}", hours_ago=n + 1)
    client.get("/articles/")

    assert client.get("/articles/?utm_source=x")["X-Page-Cache"] == "hit"
    assert client.get("/articles/?page=2")["X-Page-Cache"] == "miss"


def test_signed_in_readers_always_get_a_fresh_page(client, administrator):
    Article.objects.create(title="Staff draft", slug="staff-draft")
    publish("Public", slug="public")
    client.force_login(administrator)

    draft = client.get("/articles/staff-draft/")
    public = client.get("/articles/public/")

    assert draft.status_code == 200
    assert "X-Page-Cache" not in draft
    assert "X-Page-Cache" not in public
    assert "X-Page-Cache" not in client.get("/articles/public/")


def test_a_pending_flash_message_is_never_served_from_or_into_the_cache(client):
    publish("Flash", slug="flash")
    client.get("/articles/flash/")
    client.cookies[CookieStorage.cookie_name] = "anything"

    assert "X-Page-Cache" not in client.get("/articles/flash/")


def test_missing_pages_are_not_stored(client):
    client.get("/articles/no-such-article/")
    response = client.get("/articles/no-such-article/")

    assert response.status_code == 404
    assert "X-Page-Cache" not in response


def test_posts_bypass_the_cache(client):
    publish("Posted", slug="posted")
    client.get("/articles/posted/")

    assert "X-Page-Cache" not in client.post("/articles/posted/")


def test_the_undecorated_view_stays_reachable(rf):
    publish("Direct", slug="direct")
    response = article_detail.__wrapped__(rf.get("/articles/direct/"), slug="direct")

    assert response.status_code == 200
    assert "X-Page-Cache" not in response


def test_made_up_host_ports_and_spellings_share_one_copy(client):
    # The review stored one copy per port a client put in Host; the key is the
    # ALLOWED_HOSTS entry the host matched, never what the client wrote.
    publish("One copy", slug="one-copy")

    first = client.get("/articles/one-copy/", HTTP_HOST="127.0.0.1:1")
    others = [
        client.get("/articles/one-copy/", HTTP_HOST=host)["X-Page-Cache"]
        for host in ("127.0.0.1:2", "127.0.0.1:3", "127.0.0.1")
    ]

    assert first["X-Page-Cache"] == "miss"
    assert others == ["hit", "hit", "hit"]


@pytest.mark.parametrize("spelling", ["LOCALHOST", "localhost.", "localhost:8080"])
def test_a_host_spelled_another_way_is_the_same_copy(client, spelling):
    publish("Spelled", slug="spelled")
    client.get("/articles/spelled/", HTTP_HOST="localhost")

    assert client.get("/articles/spelled/", HTTP_HOST=spelling)["X-Page-Cache"] == "hit"


def test_different_allowed_hosts_keep_their_own_copies(client):
    publish("Two hosts", slug="two-hosts")
    client.get("/articles/two-hosts/", HTTP_HOST="localhost")

    assert client.get("/articles/two-hosts/", HTTP_HOST="127.0.0.1")["X-Page-Cache"] == "miss"
