"""Accounts at ASVS level 1 (issue 11, finding 5).

- Passwords of at least 12 characters, never one of the most common ones, on
  every way a password is set: the password change and reset pages, the admin's
  add and password pages, the users services, ``createsuperuser --noinput``.
- Changing your e-mail address needs your current password.
- A changed password is told to the account's address; a changed address is
  told to the old one, and the new one is told it now receives the account's mail.
"""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from apps.users.outbox import mail_queue_join
from apps.users.services import user_create, user_set_password, user_update_by_admin
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

ELEVEN = "Zebra-cld7x"  # 11 characters, not common
TWELVE = "Zebra-cloud7"  # 12
COMMON = "password1234"  # 12, in Django's list of common passwords
TOO_SHORT = "at least 12 characters"
TOO_COMMON = "This password is too common."
USERS = "/admin/users/user/"


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks the block queues, then wait for the mail thread."""

    class Sent:
        def __enter__(self):
            self.capture = django_capture_on_commit_callbacks(execute=True)
            self.capture.__enter__()
            return mail.outbox

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            mail_queue_join(timeout=30)

    return Sent()


# -- length and common passwords, on every path ------------------------------


@pytest.mark.parametrize(("password", "error"), [(ELEVEN, TOO_SHORT), (COMMON, TOO_COMMON)])
def test_password_change_refuses_short_and_common_passwords(client, make_user, password, error):
    user = make_user("sam")
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_twelve_characters_are_enough(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": TWELVE, "new_password2": TWELVE},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(TWELVE)


def test_the_reset_page_refuses_a_short_password(client, make_user):
    user = make_user("sam")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    form_page = client.get(f"/accounts/reset/{uid}/{token}/", follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": ELEVEN, "new_password2": ELEVEN}
    )

    assert response.status_code == 400
    assert TOO_SHORT in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_admin_refuses_a_short_password_when_adding_or_setting_one(
    client, administrator, make_user, django_user_model
):
    sam = make_user("sam")
    client.force_login(administrator)
    short = {"usable_password": "true", "password1": ELEVEN, "password2": ELEVEN}

    added = client.post(f"{USERS}add/", {"username": "newcomer", **short})
    changed = client.post(f"{USERS}{sam.pk}/password/", short)

    assert TOO_SHORT in added.content.decode()
    assert TOO_SHORT in changed.content.decode()
    assert not django_user_model.objects.filter(username="newcomer").exists()
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


def test_the_services_refuse_a_short_or_common_password(make_user, django_user_model):
    sam = make_user("sam")

    with pytest.raises(ValidationError, match="at least 12"):
        user_create(username="newcomer", password=ELEVEN)
    with pytest.raises(ValidationError, match="too common"):
        user_set_password(user=sam, by=sam, password=COMMON)
    with pytest.raises(ValidationError, match="too similar"):
        user_create(username="margaret-hamilton", password="margaret-hamilton")

    assert not django_user_model.objects.filter(username="newcomer").exists()
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


def test_createsuperuser_without_input_refuses_a_short_password(monkeypatch, django_user_model):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", ELEVEN)

    with pytest.raises(CommandError, match="at least 12"):
        call_command("createsuperuser", "--noinput", username="root", email="root@example.com")

    assert not django_user_model.objects.filter(username="root").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", TWELVE)
    call_command("createsuperuser", "--noinput", username="root", email="root@example.com")
    assert django_user_model.objects.get(username="root").check_password(TWELVE)


# -- the e-mail address needs the current password ---------------------------


def profile_form(**changes):
    return {"display_name": "", "first_name": "", "last_name": "",
            "email": "sam@example.com", **changes}  # fmt: skip


def test_changing_the_address_without_the_current_password_is_refused(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    missing = client.post("/accounts/profile/", profile_form(email="mallory@example.com"))
    wrong = client.post(
        "/accounts/profile/",
        profile_form(email="mallory@example.com", current_password="not-my-password"),
    )

    assert (missing.status_code, wrong.status_code) == (400, 400)
    assert "Enter your current password to change your e-mail address" in (missing.content.decode())
    assert "Your current password was entered incorrectly" in wrong.content.decode()
    user.refresh_from_db()
    assert user.email == "sam@example.com"


@pytest.mark.parametrize(
    ("path", "guess"),
    [
        ("/accounts/profile/", lambda password: profile_form(
            email="mallory@example.com", current_password=password)),
        ("/accounts/password_change/", lambda password: {
            "old_password": password, "new_password1": TWELVE, "new_password2": TWELVE}),
    ],
    ids=["profile", "password_change"],
)  # fmt: skip
def test_guesses_of_the_current_password_are_limited_like_sign_ins(
    client, make_user, settings, path, guess
):
    """A stolen session must not become a way to guess the account's password."""
    settings.LOGIN_RATE_PER_ACCOUNT = "2/d"
    user = make_user("sam")
    client.force_login(user)

    answers = [client.post(path, guess(f"guess-{n}")).status_code for n in range(3)]
    right = client.post(path, guess(PASSWORD))

    assert answers == [400, 400, 429]
    assert right.status_code == 429
    assert right["Retry-After"]
    user.refresh_from_db()
    assert (user.email, user.check_password(PASSWORD)) == ("sam@example.com", True)


def test_changing_the_address_with_the_current_password(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    response = client.post(
        "/accounts/profile/", profile_form(email="sam@example.org", current_password=PASSWORD)
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "sam@example.org"


def test_the_rest_of_the_profile_needs_no_password(client, make_user):
    user = make_user("sam")
    client.force_login(user)

    response = client.post("/accounts/profile/", profile_form(display_name="Sam Q."))

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Sam Q."


# -- notices ---------------------------------------------------------------


def test_a_changed_password_is_told_to_the_account(client, make_user, sent):
    user = make_user("sam")
    client.force_login(user)

    with sent as outbox:
        client.post(
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": TWELVE, "new_password2": TWELVE},
        )

    assert [message.to for message in outbox] == [["sam@example.com"]]
    assert "password" in outbox[0].subject.lower()
    assert "sam" in outbox[0].body
    assert TWELVE not in outbox[0].body


def test_a_password_an_administrator_sets_is_told_too(administrator, make_user, sent):
    sam = make_user("sam")

    with sent as outbox:
        user_set_password(user=sam, by=administrator, password=TWELVE)

    assert [message.to for message in outbox] == [["sam@example.com"]]


def test_a_changed_address_is_told_to_the_old_one_and_confirmed_to_the_new(client, make_user, sent):
    user = make_user("sam")
    client.force_login(user)

    with sent as outbox:
        client.post(
            "/accounts/profile/",
            profile_form(email="sam@example.org", current_password=PASSWORD),
        )

    assert sorted(message.to[0] for message in outbox) == ["sam@example.com", "sam@example.org"]
    to_old = next(m for m in outbox if m.to == ["sam@example.com"])
    assert "sam@example.org" in to_old.body  # the old address learns where the mail goes now


def test_an_address_an_administrator_changes_is_told_too(administrator, make_user, sent):
    sam = make_user("sam")

    with sent as outbox:
        user_update_by_admin(user=sam, by=administrator, email="sam@example.org")

    assert sorted(message.to[0] for message in outbox) == ["sam@example.com", "sam@example.org"]


def test_no_notice_when_nothing_changed_or_nowhere_to_send(client, make_user, sent):
    user = make_user("sam", email="")
    client.force_login(user)

    with sent as outbox:
        client.post("/accounts/profile/", profile_form(email="", display_name="Sam"))
        client.post(
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": TWELVE, "new_password2": TWELVE},
        )

    assert outbox == []


def test_a_rolled_back_change_sends_nothing(make_user, administrator, sent):
    sam = make_user("sam")

    def change_then_fail() -> None:
        with transaction.atomic():
            user_set_password(user=sam, by=administrator, password=TWELVE)
            raise RuntimeError("rolled back")

    with sent as outbox, pytest.raises(RuntimeError):
        change_then_fail()

    assert outbox == []
