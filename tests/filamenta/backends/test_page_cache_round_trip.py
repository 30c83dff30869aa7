"""A page-cache hit is one call to the cache on the shared tiers, and no query on the memory tier;
during an outage the page cache falls back to the shared versions and stays exact."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from apps.content.models import Article
from filamenta import caching
from filamenta.backends.breaker import circuit_breaker_state
from filamenta.backends.settings import _file_caches, _redis_caches
from tests.content.test_public_views import publish
from tests.fixtures import PASSWORD


class CallCounter:
    """Counts the calls a real cache store receives (every call still reaches it).

    Only the outermost: a store's get_many may be made of its own gets.
    """

    METHODS = ("get", "get_many", "set", "add", "incr", "set_many", "delete", "has_key")

    def __init__(self, monkeypatch: pytest.MonkeyPatch, store) -> None:
        self.calls: Counter[str] = Counter()
        self.depth = 0
        for method in self.METHODS:
            real = getattr(store, method)
            monkeypatch.setattr(store, method, self._counted(method, real))

    def _counted(self, method, real):
        def call(*args, **kwargs):
            if not self.depth:
                self.calls[method] += 1
            self.depth += 1
            try:
                return real(*args, **kwargs)
            finally:
                self.depth -= 1

        return call


def _hit_costs(client, monkeypatch, url):
    """(calls to the site cache's primary store, calls to the versions' store, queries) of a hit."""
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    values = CallCounter(monkeypatch, caches["default"].primary)
    shared = CallCounter(monkeypatch, caches["ratelimit"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response["X-Page-Cache"] == "hit"
    return values.calls, shared.calls, len(queries)


@pytest.mark.redis
@pytest.mark.django_db
def test_a_hit_on_the_redis_tier_is_one_call(redis_server, client, monkeypatch):
    name = f"Redis at {redis_server.url}"
    with override_settings(CACHES=_redis_caches(redis_server.url, 0.3, breaker=name)):
        publish("One trip", slug="one-trip")
        values, shared, queries = _hit_costs(client, monkeypatch, "/articles/one-trip/")

    assert values == {"get_many": 1}
    assert shared == {}
    assert queries == 0


@pytest.mark.django_db
def test_a_hit_on_the_file_tier_is_one_call(tmp_path, client, monkeypatch):
    with override_settings(CACHES=_file_caches(tmp_path, breaker=f"file store at {tmp_path}")):
        publish("One read", slug="one-read")
        values, shared, queries = _hit_costs(client, monkeypatch, "/articles/one-read/")

    assert values == {"get_many": 1}
    assert shared == {}
    assert queries == 0


@pytest.mark.django_db
def test_a_change_is_seen_on_the_file_tier_at_once(tmp_path, client):
    with override_settings(CACHES=_file_caches(tmp_path, breaker=f"file store at {tmp_path}")):
        article = publish("Before", slug="changes")
        client.get("/articles/changes/")
        assert client.get("/articles/changes/")["X-Page-Cache"] == "hit"

        article.title = "After"
        article.save()
        response = client.get("/articles/changes/")

    assert response["X-Page-Cache"] == "miss"
    assert b"After" in response.content


@pytest.mark.redis
@pytest.mark.django_db
def test_during_an_outage_pages_use_the_shared_versions_and_stay_exact(redis_server, client):
    name = f"Redis at {redis_server.url}"
    with override_settings(CACHES=_redis_caches(redis_server.url, 0.3, breaker=name)):
        article = publish("Before the outage", slug="outage")
        client.get("/articles/outage/")
        redis_server.kill()

        first = client.get("/articles/outage/")
        assert circuit_breaker_state(name) == "open"
        second = client.get("/articles/outage/")
        article.title = "Changed during the outage"
        article.save()
        third = client.get("/articles/outage/")

    # During the outage the page cache is this process's memory, stamped with
    # the database's versions: it still serves, and a change is seen at once.
    assert (first.status_code, second["X-Page-Cache"]) == (200, "hit")
    assert third["X-Page-Cache"] == "miss"
    assert b"Changed during the outage" in third.content


@pytest.mark.django_db
def test_the_memory_tier_remembers_versions_for_a_second(client, monkeypatch):
    """No query on most hits; another process's change shows once the memo ends."""
    clock = [1000.0]
    monkeypatch.setattr(caching, "_clock", lambda: clock[0])
    # As in production between requests: the test's own transaction is not the site's.
    monkeypatch.setattr(caching, "_in_transaction", lambda: False)
    caching.versions_memo_clear()
    publish("Memo", slug="memo")
    client.get("/articles/memo/")
    with CaptureQueriesContext(connection) as queries:
        hit = client.get("/articles/memo/")
    assert hit["X-Page-Cache"] == "hit"
    assert len(queries) == 0

    # Another process bumps the shared version: no signal reaches this one.
    Article.objects.filter(slug="memo").update(title="Changed elsewhere")
    caches["ratelimit"].incr(caching._version_key("content.article"))
    assert client.get("/articles/memo/")["X-Page-Cache"] == "hit"

    clock[0] += caching.VERSIONS_MEMO_SECONDS
    later = client.get("/articles/memo/")
    assert later["X-Page-Cache"] == "miss"
    assert b"Changed elsewhere" in later.content


@pytest.mark.django_db
def test_a_change_in_this_process_forgets_the_memo_at_once(client, monkeypatch):
    monkeypatch.setattr(caching, "_clock", lambda: 1000.0)  # the memo never ends by itself
    monkeypatch.setattr(caching, "_in_transaction", lambda: False)
    caching.versions_memo_clear()
    article = publish("Here", slug="here")
    client.get("/articles/here/")
    assert client.get("/articles/here/")["X-Page-Cache"] == "hit"

    article.title = "Changed here"
    article.save()
    response = client.get("/articles/here/")

    assert response["X-Page-Cache"] == "miss"
    assert b"Changed here" in response.content


@pytest.mark.django_db
def test_versions_read_inside_a_transaction_are_not_remembered(monkeypatch):
    """It may be rolled back: a version it bumped would be served as current afterwards."""
    monkeypatch.setattr(caching, "_clock", lambda: 1000.0)
    caching.versions_memo_clear()

    caching.versions_get(names=("content.article",))  # inside the test's transaction

    assert caching._memo == {}


@pytest.mark.django_db
def test_a_sign_in_leaves_the_cached_pages_alone(client, make_user):
    """Django saves last_login at each sign-in; no page shows it, so no page is forgotten."""
    publish("Quiet")
    reader = make_user("reader")
    client.get("/articles/quiet/")
    assert client.get("/articles/quiet/")["X-Page-Cache"] == "hit"

    assert client.login(username="reader", password=PASSWORD)
    client.logout()
    reader.refresh_from_db()
    assert reader.last_login is not None

    assert client.get("/articles/quiet/")["X-Page-Cache"] == "hit"
    # Any other change to a user is still a change to the pages that show users.
    reader.display_name = "Someone else"
    reader.save(update_fields=["display_name"])
    assert client.get("/articles/quiet/")["X-Page-Cache"] == "miss"
