"""The profile page: signed-in only, editable, escaped."""

import pytest

from apps.siteadmin.models import AuditEntry
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_profile_needs_a_signed_in_user(client):
    response = client.get("/accounts/profile/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_profile_shows_the_roles(client, make_user):
    client.force_login(make_user("sam", role="author"))

    html = client.get("/accounts/profile/").content.decode()

    assert "sam" in html
    assert "author" in html


def test_profile_saves_the_display_name(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    response = client.post(
        "/accounts/profile/",
        {"display_name": "Sam Q.", "first_name": "", "last_name": "", "email": "sam@example.com"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Sam Q."


def test_bad_profile_data_is_400_with_errors(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    response = client.post(
        "/accounts/profile/", {"display_name": "x" * 500, "email": "not-an-address"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "Ensure this value has at most 150 characters" in html
    user.refresh_from_db()
    assert user.display_name == ""


def test_people_cannot_give_themselves_staff_rights(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    client.post(
        "/accounts/profile/",
        {"display_name": "x", "email": "s@example.com", "is_staff": "on", "is_superuser": "on"},
    )

    user.refresh_from_db()
    assert not user.is_staff
    assert not user.is_superuser


def test_a_hostile_display_name_is_escaped_everywhere(client, make_user):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    user = make_user("sam", display_name=payload)
    client.force_login(user)

    html = client.get("/accounts/profile/").content.decode()

    assert payload not in html
    assert "&lt;script&gt;" in html


def test_saving_the_profile_goes_through_the_service_and_is_recorded(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    client.post(
        "/accounts/profile/",
        {"display_name": "Sam Q.", "first_name": "Sam", "last_name": "", "email": "s@example.com",
         "current_password": PASSWORD},
    )  # fmt: skip

    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANGED)
    assert entry.actor == user
    assert entry.summary == "user “Sam Q.”: Changed Display name, First name and Email address."
