"""The per-account limits count the account that would be signed in, however its name is spelt.

Django signs in ``reader1`` typed in full-width letters as ``reader1``: the form
normalises the name (NFKC) before the database looks it up, and MariaDB's
collation also matches ``réader1``. A key built from the submitted text alone
gave each spelling its own allowance (review finding 1).
"""

import pytest
from django.contrib.auth import authenticate
from django.db import connection

from tests.fixtures import PASSWORD

pytestmark = [pytest.mark.database, pytest.mark.django_db]

LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/"


def full_width(text: str) -> str:
    """``reader1`` in full-width letters (U+FF01 onwards), which NFKC turns back."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def exhaust(client, path, name, *, tries=2):
    for n in range(tries):
        form = {"username": name, "password": f"wrong{n}"}
        client.post(path, form, REMOTE_ADDR=f"198.51.100.{n}")


@pytest.mark.parametrize("path", [LOGIN, "/admin/login/"])
def test_a_full_width_spelling_is_the_same_account(client, make_user, settings, path):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    make_user("reader1", is_staff=True)
    exhaust(client, path, "reader1")

    response = client.post(path, {"username": full_width("reader1"), "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_full_width_attempts_count_against_the_plain_name(client, make_user, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    make_user("reader1")
    exhaust(client, LOGIN, full_width("r") + "eader1")

    response = client.post(LOGIN, {"username": "reader1", "password": PASSWORD})

    assert response.status_code == 429


def test_unknown_names_are_limited_too(client, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    exhaust(client, LOGIN, "nobody")

    response = client.post(LOGIN, {"username": full_width("NOBODY"), "password": "x"})

    assert response.status_code == 429


def test_an_accented_spelling_the_database_matches_is_the_same_account(client, make_user, settings):
    if connection.vendor != "mysql":
        pytest.skip("only MariaDB/MySQL's accent-insensitive collation matches réader1")
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    make_user("reader1")
    # What the review saw: the server's collation signs the accented name in.
    assert authenticate(username="réader1", password=PASSWORD) is not None
    exhaust(client, LOGIN, "reader1")

    response = client.post(LOGIN, {"username": "RÉADER1", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_reset_limit_counts_a_full_width_address_as_the_same(client, make_user, settings):
    settings.PASSWORD_RESET_RATE_PER_ACCOUNT = "2/d"
    make_user("reader1", email="reader1@example.com")
    for n in range(2):
        client.post(RESET, {"email": "reader1@example.com"}, REMOTE_ADDR=f"198.51.100.{n}")

    response = client.post(RESET, {"email": full_width("reader1") + "@example.com"})

    assert response.status_code == 429


@pytest.mark.parametrize("name", ["sam\x00", "x" * 500])
def test_a_name_no_account_can_have_is_a_form_error_not_a_500(client, name):
    response = client.post(LOGIN, {"username": name, "password": "x"})

    assert response.status_code == 400
