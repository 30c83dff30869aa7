"""Signing in and out: redirects that stay on the site, CSRF, rate limits and the history."""

import pytest
from django.test import Client

from apps.siteadmin.models import AuditEntry
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_login_page_renders_an_accessible_form(client):
    response = client.get(LOGIN)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_signing_in_goes_to_the_profile_and_is_recorded(client, make_user):
    make_user("sam")

    response = client.post(
        LOGIN,
        {"username": "sam", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="TestBrowser/1.0",
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert entry.actor.username == "sam"
    assert entry.ip == "203.0.113.9"
    assert entry.user_agent == "TestBrowser/1.0"


def test_a_wrong_password_is_a_400_with_the_error_and_is_recorded(client, make_user):
    make_user("sam")

    response = client.post(LOGIN, {"username": "sam", "password": "wrong"})

    assert response.status_code == 400
    assert "Please enter a correct username and password" in response.content.decode()
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.actor_name == "sam"
    assert failed.actor is None
    assert "wrong" not in failed.summary


def test_an_empty_form_is_a_400_with_field_errors(client):
    response = client.post(LOGIN, {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


@pytest.mark.parametrize("target", ["/articles/", "/accounts/profile/?tab=1"])
def test_next_on_the_site_is_followed(client, make_user, target):
    make_user("sam")

    response = client.post(f"{LOGIN}?next={target}", {"username": "sam", "password": PASSWORD})

    assert response["Location"] == target


OPEN_REDIRECTS = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    " //evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_never_leaves_the_site_after_login(client, make_user, target):
    make_user("sam")

    response = client.post(LOGIN, {"username": "sam", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


@pytest.mark.parametrize(
    "query", ["%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%5C%5Cevil"]
)
def test_an_encoded_next_in_the_address_never_leaves_the_site(client, make_user, query):
    make_user("sam")

    response = client.post(f"{LOGIN}?next={query}", {"username": "sam", "password": PASSWORD})

    assert response["Location"] == "/accounts/profile/"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_never_leaves_the_site_after_logout(client, make_user, target):
    client.force_login(make_user("sam"))

    response = client.post("/accounts/logout/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_needs_a_post_and_is_recorded(client, make_user):
    client.force_login(make_user("sam"))

    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")

    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT).count() == 1
    assert client.get("/accounts/profile/").status_code == 302


def test_login_without_a_csrf_token_is_403(make_user):
    make_user("sam")
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN, {"username": "sam", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_brute_force_on_one_account_from_many_ips_is_429(client, make_user, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/d"
    make_user("victim")

    statuses = [
        client.post(
            LOGIN, {"username": "victim", "password": f"guess{n}"}, REMOTE_ADDR=f"198.51.100.{n}"
        ).status_code
        for n in range(1, 6)
    ]

    assert statuses == [400, 400, 400, 429, 429]


def test_the_account_limit_ignores_case_and_spaces(client, make_user, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    make_user("victim")

    for name in ("victim", " VICTIM "):
        client.post(LOGIN, {"username": name, "password": "x"})
    response = client.post(LOGIN, {"username": "Victim", "password": PASSWORD})

    assert response.status_code == 429


def test_brute_force_from_one_ip_on_many_accounts_is_429(client, settings):
    settings.LOGIN_RATE_PER_IP = "3/d"

    statuses = [
        client.post(LOGIN, {"username": f"user{n}", "password": "x"}).status_code for n in range(5)
    ]

    assert statuses[:3] == [400, 400, 400]
    assert statuses[3:] == [429, 429]


def test_a_429_says_when_to_retry_in_a_readable_page(client, settings):
    settings.LOGIN_RATE_PER_IP = "1/h"
    client.post(LOGIN, {"username": "a", "password": "x"})

    response = client.post(LOGIN, {"username": "a", "password": "x"})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "Too many attempts" in response.content.decode()
    assert "<html" in response.content.decode()


def test_while_limited_even_the_right_password_is_refused(client, make_user, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "1/d"
    make_user("sam")
    client.post(LOGIN, {"username": "sam", "password": "wrong"})

    response = client.post(LOGIN, {"username": "sam", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_is_rate_limited_too(client, make_user, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    make_user("boss", is_staff=True)

    statuses = [
        client.post("/admin/login/", {"username": "boss", "password": "x"}).status_code
        for _ in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_admin_login_still_signs_in(client, make_user):
    make_user("boss", is_staff=True)

    response = client.post("/admin/login/?next=/admin/", {"username": "boss", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_signed_in_visitor_is_sent_on_from_the_login_page(client, make_user):
    client.force_login(make_user("sam"))

    response = client.get(LOGIN)

    assert response.status_code == 302
