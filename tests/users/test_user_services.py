"""The users services (create, update, access, password, delete), on each database."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from apps.siteadmin.models import AuditEntry
from apps.users.services import (
    user_create,
    user_delete,
    user_set_password,
    user_update,
    user_update_by_admin,
    users_create_many,
    users_delete,
)
from tests.fixtures import PASSWORD

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def test_create_with_a_password_and_flags(make_user):
    root = make_user("root", is_superuser=True)
    user = user_create(username="owner", email="Owner@EXAMPLE.com", password=PASSWORD,
                       is_staff=True, is_superuser=True, by=root)  # fmt: skip

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


def test_update_by_admin_records_fields_roles_and_permissions_once(administrator, make_user):
    user = make_user("sam", role="reader")
    editor = Group.objects.get(name="editor")
    permission = Permission.objects.get(codename="view_article")
    AuditEntry.objects.all().delete()

    user_update_by_admin(user=user, by=administrator, is_staff=True, groups=[editor],
                         user_permissions=[permission], email="sam@example.com")  # fmt: skip

    user.refresh_from_db()
    assert user.is_staff
    assert list(user.groups.all()) == [editor]
    assert list(user.user_permissions.all()) == [permission]
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == ("changed", administrator)
    assert entry.summary == "user “sam”: Changed Staff status, Groups and User permissions."
    assert entry.log_entry == LogEntry.objects.get()


def test_update_by_admin_that_changes_nothing_records_nothing(administrator, make_user):
    user = make_user("sam", role="reader")
    AuditEntry.objects.all().delete()

    user_update_by_admin(user=user, by=administrator, is_staff=False,
                         groups=Group.objects.filter(name="reader"))  # fmt: skip

    assert not AuditEntry.objects.exists()


def test_update_by_admin_refuses_the_password(administrator, make_user):
    user = make_user("sam")

    with pytest.raises(TypeError, match="password"):
        user_update_by_admin(user=user, by=administrator, password="plain")


def test_update_by_admin_validates(administrator, make_user):
    make_user("taken")
    user = make_user("sam")

    with pytest.raises(ValidationError):
        user_update_by_admin(user=user, by=administrator, username="taken")


def test_set_password_hashes_it_and_records_it(administrator, make_user):
    user = make_user("sam")
    AuditEntry.objects.all().delete()

    user_set_password(user=user, by=administrator, password="another-long-password-42")

    user.refresh_from_db()
    assert user.check_password("another-long-password-42")
    assert not user.password.startswith("another")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.summary) == ("password_changed", "user “sam”: Password changed.")


def test_set_password_none_disables_password_authentication(administrator, make_user):
    user = make_user("sam")

    user_set_password(user=user, by=administrator, password=None)

    user.refresh_from_db()
    assert not user.has_usable_password()


def test_delete_records_before_the_row_goes(administrator, make_user, django_user_model):
    user = make_user("sam")
    AuditEntry.objects.all().delete()

    user_delete(user=user, by=administrator)

    assert not django_user_model.objects.filter(username="sam").exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.summary) == ("deleted", "user “sam”")
    assert entry.log_entry.object_repr == "sam"


def test_delete_many_records_each(administrator, make_user, django_user_model):
    make_user("sam")
    make_user("pat")
    AuditEntry.objects.all().delete()

    count = users_delete(users=django_user_model.objects.filter(username__in=["sam", "pat"]),
                         by=administrator)  # fmt: skip

    assert count == 2
    assert AuditEntry.objects.filter(action="deleted").count() == 2
