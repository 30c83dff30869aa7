"""What the caches in front may keep (headers), and that a change purges them once, after commit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from apps.content.services import article_update
from devtools.local_servers import LOOPBACK, free_port
from filamenta import front_cache
from filamenta.caching import cached_page, version_bump
from tests.content.test_public_views import publish


class PurgeRecorder:
    """A real HTTP server on a free port that answers PURGE as nginx's purge listener does."""

    def __init__(self, status: int = 204, port: int = 0) -> None:
        self.received: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self) -> None:
                recorder.received.append((self.command, self.path))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, port), Handler)
        self.url = f"http://{LOOPBACK}:{self.server.server_address[1]}/purge"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def forget_owed_purges() -> None:
    front_cache._down_until.clear()
    with front_cache._owed_lock:
        for timer in front_cache._retry_timers.values():
            timer.cancel()
        front_cache._retry_timers.clear()
        front_cache._owed_since.clear()


@pytest.fixture(autouse=True)
def no_backoff() -> Iterator[None]:
    forget_owed_purges()
    yield
    forget_owed_purges()


@pytest.fixture
def purges(settings) -> Iterator[PurgeRecorder]:
    recorder = PurgeRecorder()
    settings.EDGE_PURGE_URLS = [recorder.url]
    yield recorder
    recorder.close()


@pytest.fixture
def front(settings) -> None:
    settings.FRONT_CACHE_SECONDS = 300
    settings.EDGE_CACHE_SECONDS = 0


@pytest.mark.django_db
def test_anonymous_pages_tell_nginx_how_long_to_keep_them(client, front):
    publish("Kept", slug="kept")

    miss = client.get("/articles/kept/")
    hit = client.get("/articles/kept/")

    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert miss["X-Accel-Expires"] == hit["X-Accel-Expires"] == "300"
    assert "s-maxage" not in miss.get("Cache-Control", "")


@pytest.mark.django_db
def test_the_decorator_alone_tells_nginx_too(client, front, settings):
    """Without PageCacheMiddleware, @cached_page stores and replays the page itself."""
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "filamenta.page_cache.PageCacheMiddleware"
    ]
    publish("Alone", slug="alone")

    miss = client.get("/articles/alone/")
    hit = client.get("/articles/alone/")

    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert miss["X-Accel-Expires"] == hit["X-Accel-Expires"] == "300"


@pytest.mark.django_db
def test_a_cdn_lifetime_is_sent_only_when_configured(client, settings):
    settings.FRONT_CACHE_SECONDS = 0
    settings.EDGE_CACHE_SECONDS = 60
    publish("Edge", slug="edge")

    miss = client.get("/articles/edge/")
    hit = client.get("/articles/edge/")

    for response in (miss, hit):
        assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=0", "s-maxage=60"}
        assert "X-Accel-Expires" not in response


@pytest.mark.django_db
def test_signed_in_readers_and_other_pages_are_never_offered(client, front, administrator):
    publish("Private", slug="private")

    login_page = client.get("/admin/login/")
    client.force_login(administrator)
    signed_in = client.get("/articles/private/")

    assert "X-Accel-Expires" not in login_page
    assert "X-Accel-Expires" not in signed_in
    assert "X-Page-Cache" not in signed_in


@pytest.mark.django_db
def test_a_page_that_changed_while_it_rendered_is_kept_nowhere(front):
    renders = []

    @cached_page(timeout=60, depends_on=("content.article",))
    def racing(request):
        renders.append(1)
        if len(renders) == 1:  # another process commits a change mid-render
            version_bump(name="content.article")
        return HttpResponse("<p>old rows</p>")

    first = racing(RequestFactory().get("/racing/"))
    second = racing(RequestFactory().get("/racing/"))
    third = racing(RequestFactory().get("/racing/"))

    assert "X-Accel-Expires" not in first
    assert "X-Page-Cache" not in first
    assert (second["X-Page-Cache"], third["X-Page-Cache"]) == ("miss", "hit")
    assert len(renders) == 2


@pytest.mark.django_db
def test_a_change_purges_once_after_its_commit(
    purges, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the test's own rows, committed
        article = publish("Before", slug="purged")
    purges.received.clear()

    with django_capture_on_commit_callbacks(execute=True):
        article_update(article=article, by=administrator, title="After", body="<p>New</p>")
        # Nothing before the commit: until then the old rows are the current ones.
        assert purges.received == []

    assert purges.received == [("PURGE", "/purge")]
    status = front_cache.front_cache_status()
    assert status["last_purged_at"] is not None
    assert status["purge_failures"] == 0


def _update_then_fail(article, by) -> None:
    with transaction.atomic():
        article_update(article=article, by=by, title="Never", body="<p>x</p>")
        raise RuntimeError("the request failed after the write")


@pytest.mark.django_db
def test_a_change_that_is_rolled_back_purges_nothing(
    purges, administrator, django_capture_on_commit_callbacks
):
    article = publish("Kept", slug="kept-rollback")
    purges.received.clear()

    with django_capture_on_commit_callbacks(execute=True) as hooks, pytest.raises(RuntimeError):
        _update_then_fail(article, administrator)

    assert hooks == []
    assert purges.received == []


@pytest.mark.django_db
def test_a_purge_that_cannot_reach_its_cache_is_counted_and_the_write_stands(
    settings, administrator, caplog, django_capture_on_commit_callbacks
):
    reachable = PurgeRecorder()
    refusing = PurgeRecorder(status=403)
    settings.EDGE_PURGE_URLS = [
        f"http://{LOOPBACK}:{free_port()}/purge",
        refusing.url,
        reachable.url,
    ]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            article = publish("Write", slug="write")
        before = front_cache.front_cache_status()["purge_failures"]
        with django_capture_on_commit_callbacks(execute=True):
            article_update(article=article, by=administrator, title="Written", body="<p>y</p>")
    finally:
        reachable.close()
        refusing.close()

    article.refresh_from_db()
    assert article.title == "Written"
    assert reachable.received  # the other caches were purged all the same
    status = front_cache.front_cache_status()
    assert status["purge_failures"] - before == 2
    assert status["last_failure_at"] is not None
    assert "front cache purge of" in caplog.text


@pytest.mark.parametrize("raw", ["ftp://cache/purge", "127.0.0.1:8089", "http://", "purge"])
def test_a_malformed_purge_url_stops_start_up_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("EDGE_PURGE_URLS", raw)

    with pytest.raises(ImproperlyConfigured, match="EDGE_PURGE_URLS"):
        front_cache.purge_urls_from_env(environ.Env())


@pytest.mark.parametrize("name", ["FRONT_CACHE_SECONDS", "EDGE_CACHE_SECONDS"])
@pytest.mark.parametrize("raw", ["-1", "ten", "86401"])
def test_a_bad_lifetime_stops_start_up_naming_the_variable(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)

    with pytest.raises(ImproperlyConfigured, match=name):
        front_cache.front_cache_settings(environ.Env(), front=True)


def test_the_lifetime_is_short_wherever_no_purge_reaches(monkeypatch):
    monkeypatch.delenv("FRONT_CACHE_SECONDS", raising=False)
    monkeypatch.delenv("EDGE_PURGE_URLS", raising=False)

    without = front_cache.front_cache_settings(environ.Env(), front=True)
    with_purge = front_cache.front_cache_settings(
        environ.Env(), front=True, purge_default="http://127.0.0.1:8089/purge"
    )

    assert without["FRONT_CACHE_SECONDS"] == front_cache.FRONT_SECONDS_WITHOUT_PURGE
    assert with_purge["FRONT_CACHE_SECONDS"] == front_cache.FRONT_SECONDS_WITH_PURGE
    assert front_cache.front_cache_settings(environ.Env(), front=False)["FRONT_CACHE_SECONDS"] == 0


@pytest.mark.django_db
def test_the_operations_page_and_the_command_show_the_front_caches(
    client, administrator, settings, django_capture_on_commit_callbacks
):
    dead = f"http://{LOOPBACK}:{free_port()}/purge"
    settings.EDGE_PURGE_URLS = [dead]
    settings.FRONT_CACHE_SECONDS = 300
    article = publish("Shown", slug="shown")
    with django_capture_on_commit_callbacks(execute=True):
        article_update(article=article, by=administrator, title="Shown again", body="<p>z</p>")

    client.force_login(administrator)
    html = client.get("/admin/operations/").content.decode()
    out = StringIO()
    call_command("backends", "--json", stdout=out)
    reported = json.loads(out.getvalue())["front_cache"]
    text = StringIO()
    call_command("backends", stdout=text)

    assert "Front caches" in html
    assert dead in html
    assert "X-Accel-Expires 300 s" in html
    assert reported["purge_urls"] == [dead]
    assert reported["purge_failures"] >= 1
    assert reported["last_purged_at"] is not None
    assert f"Purges:       {dead}; last " in text.getvalue()


@pytest.mark.django_db
def test_a_cache_that_failed_is_skipped_for_a_while_then_tried_again(settings, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(front_cache.time, "monotonic", lambda: clock[0])
    recorder = PurgeRecorder(status=503)
    settings.EDGE_PURGE_URLS = [recorder.url]
    try:
        front_cache.front_cache_purge()
        front_cache.front_cache_purge()  # skipped: no request, one more failure
        clock[0] += front_cache.PURGE_BACKOFF_SECONDS
        front_cache.front_cache_purge()
    finally:
        recorder.close()

    assert len(recorder.received) == 2


@pytest.mark.django_db
def test_a_purge_missed_while_the_cache_was_away_is_delivered_when_it_is_back(
    settings, monkeypatch
):
    """nginx restarting when an edit commits: the purge follows once nginx is back."""
    monkeypatch.setattr(front_cache, "PURGE_BACKOFF_SECONDS", 0.05)
    settings.FRONT_CACHE_SECONDS = 300
    port = free_port()
    settings.EDGE_PURGE_URLS = [f"http://{LOOPBACK}:{port}/purge"]
    front_cache.front_cache_purge()  # refused: nothing listens yet
    assert front_cache._owed_since

    recorder = PurgeRecorder(port=port)
    try:
        deadline = time.monotonic() + 30  # however slow the machine, the retry comes
        while not recorder.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        recorder.close()

    assert recorder.received == [("PURGE", "/purge")]
    assert not front_cache._owed_since


@pytest.mark.django_db
def test_an_owed_purge_is_given_up_once_the_copies_it_covers_expired(settings, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(front_cache.time, "monotonic", lambda: clock[0])
    settings.FRONT_CACHE_SECONDS = 300
    recorder = PurgeRecorder(status=503)
    settings.EDGE_PURGE_URLS = [recorder.url]
    try:
        front_cache.front_cache_purge()
        clock[0] += 299
        front_cache._retry_owed(recorder.url)  # still within the lifetime: tried again
        clock[0] += 1
        front_cache._retry_owed(recorder.url)  # every copy has expired: nothing owed
    finally:
        recorder.close()

    assert len(recorder.received) == 2
    assert not front_cache._owed_since
