"""Changing and resetting a password, with rate limits on reset requests."""

import re

import pytest
from django.core import mail

from apps.siteadmin.models import AuditEntry
from apps.users.outbox import mail_queue_join
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-password-42"


def test_change_password(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    changed = AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_CHANGED, actor=user)
    assert changed.count() == 1  # one record of one act
    assert client.get("/accounts/profile/").status_code == 200  # still signed in


def test_change_password_with_a_wrong_old_one_is_400_with_the_error(client, make_user):
    client.force_login(make_user("sam"))

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_change_password_needs_a_signed_in_user(client):
    response = client.get("/accounts/password_change/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password_change/"


# The reset mail is looked up and sent by a background thread after the commit
# (tests/users/test_password_reset_in_background.py): it must see committed rows.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reset_sends_a_link_that_sets_a_new_password(client, make_user):
    user = make_user("sam", email="sam@example.com")

    response = client.post("/accounts/password_reset/", {"email": "sam@example.com"})
    mail_queue_join(timeout=30)

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The new password is set through the service, which records it like any change.
    changed = AuditEntry.objects.filter(action=AuditEntry.Action.PASSWORD_CHANGED, actor=user)
    assert changed.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    mail_queue_join(timeout=30)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_reset_with_a_malformed_address_is_400(client):
    response = client.post("/accounts/password_reset/", {"email": "not an address"})

    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_a_bad_reset_link_says_so(client):
    response = client.get("/accounts/reset/MQ/bad-token/")

    assert response.status_code == 200
    assert "This link has expired" in response.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reset_requests_are_limited_per_account(client, make_user, settings):
    settings.PASSWORD_RESET_RATE_PER_ACCOUNT = "2/h"
    make_user("sam", email="sam@example.com")

    statuses = []
    for n in range(1, 5):
        response = client.post(
            "/accounts/password_reset/", {"email": "SAM@example.com"}, REMOTE_ADDR=f"192.0.2.{n}"
        )
        statuses.append(response.status_code)
        # The test database is SQLite in memory, which locks tables instead of
        # waiting (a file in WAL mode, as deployed, waits): one at a time.
        mail_queue_join(timeout=30)

    assert statuses == [302, 302, 429, 429]
    assert len(mail.outbox) == 2


def test_reset_requests_are_limited_per_ip(client, settings):
    settings.PASSWORD_RESET_RATE_PER_IP = "2/h"

    statuses = [
        client.post("/accounts/password_reset/", {"email": f"u{n}@example.com"}).status_code
        for n in range(3)
    ]

    assert statuses == [302, 302, 429]
