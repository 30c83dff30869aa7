"""Scheduled publishing without cron: an article appears at its time, on every tier, by itself.

The clock is moved with time-machine (``time.time`` and ``datetime.now`` both),
never slept past: what is tested is that nothing but the clock has to change,
including for pages already in the page cache.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import environ
import pytest
import time_machine
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.content.models import Article
from apps.content.selectors import article_next_change
from apps.content.services import article_create, article_update
from apps.siteadmin.models import AuditEntry
from filamenta.backends.settings import backend_settings
from tests.fixtures import article_form
from tests.services import require_service

pytestmark = [pytest.mark.database, pytest.mark.django_db]

PUBLIC_PAGES = ["/", "/articles/", "/feed/", "/sitemap.xml"]


def schedule(title: str, *, at, **fields) -> Article:
    return article_create(
        title=title, body=f"<p>{title}</p>", status=Article.Status.PUBLISHED, published_at=at,
        **fields,
    )  # fmt: skip


@pytest.fixture
def soon():
    return timezone.now().replace(microsecond=0) + timedelta(hours=1)


def seen(client, url: str, text: str) -> bool:
    response = client.get(url)
    assert response.status_code == 200, url
    return text in response.content.decode()


def test_a_scheduled_item_is_not_visible_before_its_time(client, soon):
    article = schedule("Tomorrow's news", at=soon)

    for url in PUBLIC_PAGES:
        assert not seen(client, url, "Tomorrow&#x27;s news")
        assert not seen(client, url, article.slug)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert not Article.objects.published().filter(pk=article.pk).exists()
    assert not Article.objects.public().filter(pk=article.pk).exists()


def test_it_appears_on_its_own_at_its_time_even_from_cached_pages(client, soon):
    schedule("Already here", at=timezone.now() - timedelta(minutes=1))
    article = schedule("Scheduled news", at=soon)
    for url in PUBLIC_PAGES:
        assert not seen(client, url, article.slug)
        assert not seen(client, url, article.slug)  # and now from the cache
    assert client.get("/").headers["X-Page-Cache"] == "hit"

    with time_machine.travel(soon + timedelta(seconds=1), tick=False):
        for url in PUBLIC_PAGES:
            assert seen(client, url, article.slug), url
        assert client.get(article.get_absolute_url()).status_code == 200


def test_a_cached_page_is_a_miss_from_the_second_the_next_item_is_due(client):
    # Within the page's own five minutes, so only the schedule can end it.
    soon = timezone.now().replace(microsecond=0) + timedelta(minutes=2)
    schedule("Due", at=soon)
    client.get("/")

    with time_machine.travel(soon - timedelta(seconds=1), tick=False):
        assert client.get("/").headers["X-Page-Cache"] == "hit"
    with time_machine.travel(soon, tick=False):
        assert client.get("/").headers["X-Page-Cache"] == "miss"


def test_the_page_cache_stores_a_page_no_longer_than_until_the_next_item_is_due(client):
    due = timezone.now() + timedelta(seconds=30)
    schedule("In thirty seconds", at=due)
    seconds = []
    store = caches["default"]
    original = store.set

    def spy(key, value, timeout=None, **kwargs):
        if key.startswith("page:"):
            seconds.append(timeout)
        return original(key, value, timeout, **kwargs)

    store.set = spy
    try:
        client.get("/")
    finally:
        del store.set
    assert seconds
    assert all(1 <= s <= 31 for s in seconds), seconds


def test_unpublish_at_takes_it_away_at_its_time(client, soon):
    article = schedule("For one hour", at=timezone.now() - timedelta(minutes=1), unpublish_at=soon)
    assert seen(client, "/", article.slug)
    assert client.get(article.get_absolute_url()).status_code == 200

    with time_machine.travel(soon + timedelta(seconds=1), tick=False):
        assert not seen(client, "/", article.slug)
        assert client.get(article.get_absolute_url()).status_code == 404


def test_the_next_change_is_the_nearest_publication_or_unpublication(soon):
    assert article_next_change() is None
    schedule("Later", at=soon + timedelta(hours=1))
    assert article_next_change() == (soon + timedelta(hours=1)).timestamp()
    schedule("Ends sooner", at=timezone.now() - timedelta(hours=1), unpublish_at=soon)
    assert article_next_change() == soon.timestamp()
    # Drafts and archived items are not on the public clock.
    article_create(title="Draft", published_at=soon - timedelta(minutes=30))
    assert article_next_change() == soon.timestamp()

    with time_machine.travel(soon + timedelta(seconds=1), tick=False):
        assert article_next_change() == (soon + timedelta(hours=1)).timestamp()
    with time_machine.travel(soon + timedelta(hours=2), tick=False):
        assert article_next_change() is None


def test_unpublishing_before_publishing_is_refused_by_the_service(soon):
    with pytest.raises(ValidationError) as error:
        schedule("Backwards", at=soon, unpublish_at=soon - timedelta(minutes=1))
    assert "unpublish_at" in error.value.message_dict
    assert not Article.objects.filter(title="Backwards").exists()

    article = schedule("Forwards", at=soon)
    with pytest.raises(ValidationError):
        article_update(article=article, by=None, unpublish_at=soon)
    article.refresh_from_db()
    assert article.unpublish_at is None


def test_the_admin_form_says_so_and_loses_nothing(client, editor, soon):
    client.force_login(editor)
    fields = article_form(
        title="Contradiction",
        status="published",
        published_at_0=timezone.localtime(soon).strftime("%Y-%m-%d"),
        published_at_1=timezone.localtime(soon).strftime("%H:%M:%S"),
        unpublish_at_0=timezone.localtime(soon - timedelta(days=1)).strftime("%Y-%m-%d"),
        unpublish_at_1=timezone.localtime(soon).strftime("%H:%M:%S"),
    )
    response = client.post("/admin/content/article/add/", fields)

    assert response.status_code == 200
    assert "must be unpublished after it is published" in response.content.decode()
    assert "Contradiction" in response.content.decode()  # what was typed is kept
    assert not Article.objects.filter(title="Contradiction").exists()


def test_the_admin_shows_a_scheduled_item_as_scheduled(client, editor, soon):
    schedule("On its way", at=soon)
    client.force_login(editor)

    html = client.get("/admin/content/article/").content.decode()

    assert "Scheduled for" in html


def test_scheduling_is_recorded_as_such(soon):
    article = article_create(title="Planned")
    article_update(article=article, by=None, status=Article.Status.PUBLISHED, published_at=soon)

    entry = AuditEntry.objects.filter(object_id=str(article.pk)).order_by("-pk").first()
    assert entry.message.startswith("Scheduled.")
    assert article.revisions.first().status == Article.Status.PUBLISHED


def tier_caches(tier: str, tmp_path: Path) -> dict:
    """The CACHES of ``tier`` as the probe builds them, under a prefix of this test's own."""
    env = environ.Env()
    env.ENVIRON = {"CACHE_DIR": str(tmp_path / "cache")}
    if tier == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        env.ENVIRON["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    built = backend_settings(env=env, instance_dir=tmp_path, requested=tier).caches
    prefix = f"schedule-test-{uuid.uuid4().hex}"
    return {alias: {**config, "KEY_PREFIX": prefix} for alias, config in built.items()}


@pytest.mark.parametrize("tier", ["memory", "file", "redis"])
def test_on_every_tier_the_cached_page_gives_way_at_the_time(client, settings, tmp_path, tier):
    settings.CACHES = tier_caches(tier, tmp_path)
    # Within the page's five minutes: only the schedule can make it a miss.
    due = timezone.now().replace(microsecond=0) + timedelta(minutes=2)
    article = schedule(f"News on {tier}", at=due)

    first, second = client.get("/"), client.get("/")
    assert article.slug not in first.content.decode()
    assert second.headers["X-Page-Cache"] == "hit"

    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        later = client.get("/")
        assert later.headers["X-Page-Cache"] == "miss"
        assert article.slug in later.content.decode()
        assert client.get(article.get_absolute_url()).status_code == 200


def test_an_editor_previews_a_scheduled_item_privately_and_is_told_when_it_appears(
    client, editor, soon
):
    article = schedule("Preview me", at=soon)
    client.force_login(editor)

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "Scheduled: visitors see this page from" in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
