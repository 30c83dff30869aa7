"""The admin's User pages write through the users services: one record per act, History intact.

Adding, changing (flags, roles, permissions), setting a password and deleting
each leave exactly one history entry and one LogEntry, whichever page or
action did it; Django's own log hooks add nothing.
"""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

import apps.users.admin as user_admin
from apps.siteadmin.models import AuditEntry
from tests.fixtures import PASSWORD

pytestmark = [pytest.mark.database, pytest.mark.django_db]

NEW_PASSWORD = "another-long-password-42"
USERS = "/admin/users/user/"


def recorded():
    """Every history entry but the sign-ins that force_login records."""
    entries = AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).order_by("id")
    return list(entries.values_list("action", "summary"))


def change_form(user, **changes):
    """What the change page posts back for ``user`` untouched, with ``changes`` on top."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "display_name": user.display_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": [g.pk for g in user.groups.all()],
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        # A field with a callable default carries its initial value along.
        "initial-date_joined_0": joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        **changes,
    }
    # An unticked box is absent from a real form's POST.
    return {name: value for name, value in data.items() if value is not False}


@pytest.fixture
def signed_in(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def sam(make_user):
    user = make_user("sam", role="reader")
    AuditEntry.objects.all().delete()
    LogEntry.objects.all().delete()
    return user


@pytest.fixture
def service_calls(monkeypatch):
    """The users services the admin called, by name, with who it said did it."""
    calls = []

    def spying_on(name):
        real = getattr(user_admin, name)

        def spy(**kwargs):
            calls.append((name, kwargs["by"].username))
            return real(**kwargs)

        return spy

    for name in ("user_create", "user_update_by_admin", "user_set_password", "user_delete",
                 "users_delete"):  # fmt: skip
        monkeypatch.setattr(user_admin, name, spying_on(name))
    return calls


def history_page(client, user) -> str:
    response = client.get(f"{USERS}{user.pk}/history/")
    assert response.status_code == 200
    return response.content.decode()


def test_adding_a_user_is_one_addition_and_the_password_works(
    signed_in, administrator, django_user_model
):
    response = signed_in.post(
        f"{USERS}add/",
        {"username": "newcomer", "usable_password": "true",
         "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )  # fmt: skip

    user = django_user_model.objects.get(username="newcomer")
    # Django's user admin goes on to the change page of the new account.
    assert response.status_code == 302
    assert response["Location"] == f"{USERS}{user.pk}/change/"
    assert user.check_password(NEW_PASSWORD)
    assert recorded() == [("added", "user “newcomer”: Added.")]
    log = LogEntry.objects.get()
    assert (log.action_flag, log.user, log.object_id) == (ADDITION, administrator, str(user.pk))
    assert AuditEntry.objects.get(action="added").log_entry == log
    assert "Added." in history_page(signed_in, user)


def test_adding_a_user_without_password_authentication(signed_in, django_user_model):
    signed_in.post(f"{USERS}add/", {"username": "sso-only", "usable_password": "false"})

    assert not django_user_model.objects.get(username="sso-only").has_usable_password()
    assert len(recorded()) == 1


def test_adding_keeps_django_validation(signed_in, make_user):
    make_user("taken")
    AuditEntry.objects.all().delete()

    response = signed_in.post(
        f"{USERS}add/",
        {"username": "TAKEN", "usable_password": "true",
         "password1": NEW_PASSWORD, "password2": "something-else-entirely"},
    )  # fmt: skip

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"username", "password2"} <= set(errors)
    assert recorded() == []
    assert not LogEntry.objects.exists()


def test_changing_flags_roles_and_permissions_is_one_change_naming_them(
    signed_in, administrator, sam
):
    editor = Group.objects.get(name="editor")
    permission = Permission.objects.get(codename="view_article")

    response = signed_in.post(
        f"{USERS}{sam.pk}/change/",
        change_form(sam, is_staff=True, groups=[editor.pk], user_permissions=[permission.pk],
                    display_name="Sam Q."),
    )  # fmt: skip

    assert response.status_code == 302
    sam.refresh_from_db()
    assert sam.is_staff
    assert list(sam.groups.values_list("name", flat=True)) == ["editor"]
    assert list(sam.user_permissions.all()) == [permission]
    assert sam.display_name == "Sam Q."
    message = "Changed Staff status, Groups, User permissions and Display name."
    assert recorded() == [("changed", f"user “Sam Q.”: {message}")]
    log = LogEntry.objects.get()
    assert (log.action_flag, log.user, log.get_change_message()) == (CHANGE, administrator, message)
    assert AuditEntry.objects.get(action="changed").log_entry == log
    assert message in history_page(signed_in, sam)


def test_taking_roles_and_flags_away(client, make_user):
    # Superuser status is a superuser's to take (tests/users/test_superuser_rights.py).
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    user = make_user("pat", role="editor", is_staff=True, is_superuser=True)
    AuditEntry.objects.all().delete()

    client.post(
        f"{USERS}{user.pk}/change/",
        change_form(user, is_staff=False, is_superuser=False, is_active=False, groups=[]),
    )

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, False)
    assert not user.groups.exists()
    assert recorded() == [
        ("changed", "user “pat”: Changed Active, Staff status, Superuser status and Groups.")
    ]
    assert LogEntry.objects.count() == 1


def test_saving_an_unchanged_user_records_nothing(signed_in, sam):
    response = signed_in.post(f"{USERS}{sam.pk}/change/", change_form(sam))

    assert response.status_code == 302
    assert recorded() == []
    assert not LogEntry.objects.exists()


def test_the_change_page_keeps_django_validation(signed_in, sam, make_user):
    make_user("taken")
    AuditEntry.objects.all().delete()

    response = signed_in.post(f"{USERS}{sam.pk}/change/", change_form(sam, username="taken"))

    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors
    sam.refresh_from_db()
    assert sam.username == "sam"
    assert recorded() == []


def test_changing_a_password_is_one_record_and_the_new_password_works(
    signed_in, administrator, sam
):
    response = signed_in.post(
        f"{USERS}{sam.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{USERS}{sam.pk}/change/"
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)
    assert not sam.check_password(PASSWORD)
    assert recorded() == [("password_changed", "user “sam”: Password changed.")]
    log = LogEntry.objects.get()
    assert (log.action_flag, log.user) == (CHANGE, administrator)
    assert AuditEntry.objects.get(action="password_changed").log_entry == log
    assert "Password changed." in history_page(signed_in, sam)


def test_disabling_password_authentication_is_recorded_as_such(signed_in, sam):
    signed_in.post(
        f"{USERS}{sam.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )

    sam.refresh_from_db()
    assert not sam.has_usable_password()
    assert recorded() == [
        ("password_changed", "user “sam”: Password-based authentication disabled.")
    ]


def test_a_password_that_fails_validation_changes_nothing(signed_in, sam):
    response = signed_in.post(
        f"{USERS}{sam.pk}/password/",
        {"usable_password": "true", "password1": "sam", "password2": "sam"},
    )

    assert response.status_code == 200
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)
    assert recorded() == []


def test_changing_your_own_password_keeps_you_signed_in(signed_in, administrator):
    AuditEntry.objects.all().delete()

    signed_in.post(
        f"{USERS}{administrator.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    administrator.refresh_from_db()
    assert administrator.check_password(NEW_PASSWORD)
    assert signed_in.get("/admin/").status_code == 200


def test_deleting_a_user_is_one_record(signed_in, administrator, sam, django_user_model):
    pk = sam.pk

    response = signed_in.post(f"{USERS}{pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not django_user_model.objects.filter(pk=pk).exists()
    assert recorded() == [("deleted", "user “sam”")]
    log = LogEntry.objects.get()
    assert (log.action_flag, log.user, log.object_id, log.object_repr) == (
        DELETION, administrator, str(pk), "sam"
    )  # fmt: skip
    assert AuditEntry.objects.get(action="deleted").log_entry == log


def test_deleting_several_users_records_each_once(signed_in, sam, make_user, django_user_model):
    pat = make_user("pat")
    AuditEntry.objects.all().delete()

    response = signed_in.post(
        USERS, {"action": "delete_selected", "_selected_action": [sam.pk, pat.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert not django_user_model.objects.filter(username__in=["sam", "pat"]).exists()
    assert sorted(recorded()) == [("deleted", "user “pat”"), ("deleted", "user “sam”")]
    assert sorted(LogEntry.objects.values_list("object_repr", "action_flag")) == [
        ("pat", DELETION), ("sam", DELETION)
    ]  # fmt: skip


def test_every_page_writes_through_its_service(signed_in, sam, make_user, service_calls):
    pat = make_user("pat")
    passwords = {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}

    signed_in.post(f"{USERS}add/", {"username": "newcomer", **passwords})
    signed_in.post(f"{USERS}{sam.pk}/change/", change_form(sam, is_staff=True))
    signed_in.post(f"{USERS}{sam.pk}/password/", passwords)
    signed_in.post(f"{USERS}{sam.pk}/delete/", {"post": "yes"})
    signed_in.post(
        USERS, {"action": "delete_selected", "_selected_action": [pat.pk], "post": "yes"}
    )

    assert service_calls == [
        ("user_create", "ada"),
        ("user_update_by_admin", "ada"),
        ("user_set_password", "ada"),
        ("user_delete", "ada"),
        ("users_delete", "ada"),
    ]
