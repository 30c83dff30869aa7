"""user_create, user_update and users_create_many, on each database."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError

from apps.siteadmin.models import AuditEntry
from apps.users.services import user_create, user_update, users_create_many
from tests.apps_support import PASSWORD

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def test_create_with_a_password_and_flags(administrator):
    user = user_create(username="owner", email="Owner@EXAMPLE.com", password=PASSWORD,
                       is_staff=True, is_superuser=True, by=administrator)  # fmt: skip

    assert user.check_password(PASSWORD)
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert user.email == "Owner@example.com"
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.summary) == ("added", "user “owner”: Added.")


def test_create_without_a_password_makes_it_unusable():
    user = user_create(username="nobody")

    assert not user.has_usable_password()
    assert AuditEntry.objects.get().actor is None


def test_create_refuses_a_taken_or_bad_username(make_user):
    make_user("taken")

    with pytest.raises(ValidationError):
        user_create(username="taken")
    with pytest.raises(ValidationError):
        user_create(username="no spaces/slashes!")


def test_update_records_the_changed_fields_once(make_user):
    user = make_user("sam")

    user_update(user=user, by=user, display_name="Sam Q.", email="sam@example.com")

    user.refresh_from_db()
    assert user.display_name == "Sam Q."
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == ("changed", user)
    assert entry.summary == "user “Sam Q.”: Changed Display name."
    assert entry.log_entry == LogEntry.objects.get()


def test_update_that_changes_nothing_records_nothing(make_user):
    user = make_user("sam")

    user_update(user=user, by=user, display_name="", email="sam@example.com")

    assert not AuditEntry.objects.exists()


def test_update_refuses_roles_and_flags(make_user):
    user = make_user("sam")

    with pytest.raises(TypeError, match="is_staff"):
        user_update(user=user, by=user, is_staff=True)


def test_update_validates(make_user):
    user = make_user("sam")

    with pytest.raises(ValidationError):
        user_update(user=user, by=user, email="not-an-address")


def test_bulk_users_get_an_unusable_password_the_role_and_one_bump(
    django_user_model, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        count = users_create_many(
            users=[django_user_model(username=f"bulk-{n}") for n in range(3)], role="author"
        )

    assert count == 3
    users = django_user_model.objects.filter(username__startswith="bulk-")
    assert all(not u.has_usable_password() for u in users)
    assert all(u.groups.filter(name="author").exists() for u in users)
    assert AuditEntry.objects.get().summary == "3 user(s) added in bulk as author."
    assert len(callbacks) == 1
