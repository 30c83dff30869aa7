"""Account pages are never kept by a browser or a proxy (issue 11, finding 10).

They show an address, a reset form or a sign-in form with its CSRF token: a
shared computer's back button or disk cache must not give them to the next person.
"""

import pytest

pytestmark = pytest.mark.django_db

SIGNED_OUT = [
    "/accounts/login/",
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/bad-token/",
    "/accounts/reset/done/",
    "/admin/login/",
]
SIGNED_IN = [
    "/accounts/profile/",
    "/accounts/password_change/",
    "/accounts/password_change/done/",
]


def assert_not_stored(response) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "no-cache", "private", "must-revalidate"} <= directives, (
        response.request["PATH_INFO"],
        response.get("Cache-Control"),
    )


@pytest.mark.parametrize("path", SIGNED_OUT)
def test_signed_out_account_pages_send_no_store(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert_not_stored(response)


@pytest.mark.parametrize("path", SIGNED_IN)
def test_signed_in_account_pages_send_no_store(client, make_user, path):
    client.force_login(make_user("sam"))

    response = client.get(path)

    assert response.status_code == 200
    assert_not_stored(response)


def test_the_answers_to_posts_send_no_store_too(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    profile_error = client.post("/accounts/profile/", {"email": "not-an-address"})
    signed_out = client.post("/accounts/logout/")
    reset = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    for response in (profile_error, signed_out, reset):
        assert_not_stored(response)
