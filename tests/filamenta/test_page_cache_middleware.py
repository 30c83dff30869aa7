"""PageCacheMiddleware: anonymous @cached_page hits answered before the rest of the stack."""

import pytest

from filamenta import page_cache
from tests.content.test_public_views import publish
from tests.filamenta import page_cache_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.filamenta.page_cache_urls")]

INNERMOST = "tests.filamenta.test_page_cache_middleware.CountingMiddleware"
calls: list[str] = []


class CountingMiddleware:
    """Innermost: records each request the stack below PageCacheMiddleware handled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        calls.append(request.path)
        return self.get_response(request)


@pytest.fixture
def counted(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, INNERMOST]
    calls.clear()
    page_cache_urls.RENDERS.clear()
    return calls


def _headers(response) -> dict[str, str]:
    return {k: v for k, v in response.items() if k not in ("X-Page-Cache", "Date")}


def test_a_hit_never_reaches_the_middleware_inside(client, counted):
    publish("Early", slug="early")

    first = client.get("/articles/early/")
    second = client.get("/articles/early/")

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert counted == ["/articles/early/"]


def test_a_hit_carries_every_header_and_byte_of_the_miss(client, counted):
    publish("Same", slug="same")

    first = client.get("/articles/same/", HTTP_ACCEPT_LANGUAGE="fr")
    second = client.get("/articles/same/", HTTP_ACCEPT_LANGUAGE="fr")

    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert _headers(second) == _headers(first)
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "Vary"):
        assert header in second
    assert second["Content-Length"] == str(len(second.content))


def test_each_language_gets_its_own_copy_chosen_as_locale_middleware_chooses(client, counted):
    publish("Languages", slug="languages")
    asked = [
        {"HTTP_ACCEPT_LANGUAGE": "fr-CA,fr;q=0.9"},
        {"HTTP_ACCEPT_LANGUAGE": "en-GB"},
        {"HTTP_ACCEPT_LANGUAGE": "de"},  # neither: the site's language
    ]

    for headers in asked * 2:
        client.get("/articles/languages/", **headers)
    client.cookies["django_language"] = "fr"
    by_cookie = client.get("/articles/languages/", HTTP_ACCEPT_LANGUAGE="en")

    # One render per language the site speaks, then hits; the cookie wins over the header.
    assert len(counted) == 2
    assert by_cookie["X-Page-Cache"] == "hit"
    assert by_cookie["Content-Language"] == "fr"


def test_a_decorator_outside_cached_page_still_runs_on_every_hit(client, counted):
    for _ in range(3):
        response = client.get("/t/wrapped/")
        assert response["X-Outer"] == "ran"

    # The decorator's own copy still serves: rendered once.
    assert page_cache_urls.RENDERS == {"wrapped": 1}
    assert len(counted) == 3


def test_a_page_whose_middleware_set_a_cookie_is_not_kept(client, counted):
    for _ in range(2):
        response = client.get("/t/form/")
        assert "csrftoken" in response.cookies
        assert response.get("X-Page-Cache") != "hit"

    assert page_cache_urls.RENDERS == {"with_form": 2}


def test_a_page_that_used_a_csp_nonce_is_not_kept(client, counted):
    first = client.get("/t/nonce/")
    second = client.get("/t/nonce/")

    assert page_cache_urls.RENDERS == {"with_nonce": 2}
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


def test_prepend_www_redirects_even_a_page_kept_whole(client, counted, settings):
    client.get("/t/plain/")
    assert client.get("/t/plain/")["X-Page-Cache"] == "hit"

    settings.PREPEND_WWW = True
    response = client.get("/t/plain/")

    assert response.status_code == 301
    assert response["Location"] == "http://www.testserver/t/plain/"


def test_the_paths_it_remembers_are_bounded(client, counted, monkeypatch):
    monkeypatch.setattr(page_cache, "RESOLVED_MAX", 3)
    page_cache._RESOLVED.clear()

    for n in range(10):
        client.get(f"/made-up-{n}/")
        assert len(page_cache._RESOLVED) <= 3
