"""Only a superuser makes, unmakes or edits a superuser (issue 11, finding 13b).

The *administrator* role manages people, but superuser status is every
permission at once, beyond any role: were an administrator able to grant it, or to
set a superuser's password, the role would be a superuser in all but name.
"""

import pytest
from django.core.exceptions import PermissionDenied

from apps.users.services import (
    user_create,
    user_delete,
    user_set_password,
    user_update_by_admin,
)
from tests.users.test_user_admin import USERS, change_form

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-password-42"


@pytest.fixture
def root(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


def test_an_administrator_cannot_make_anyone_a_superuser_in_the_admin(
    client, administrator, make_user
):
    sam = make_user("sam", role="reader")
    client.force_login(administrator)

    client.post(f"{USERS}{sam.pk}/change/", change_form(sam, is_staff=True, is_superuser=True))
    client.post(f"{USERS}{administrator.pk}/change/", change_form(administrator, is_superuser=True))

    sam.refresh_from_db()
    administrator.refresh_from_db()
    assert not sam.is_superuser
    assert sam.is_staff  # the rest of the change still applies
    assert not administrator.is_superuser


def test_an_administrator_cannot_edit_a_superuser_or_set_their_password(
    client, administrator, root
):
    client.force_login(administrator)

    changed = client.post(f"{USERS}{root.pk}/change/", change_form(root, is_superuser=False))
    password = client.post(
        f"{USERS}{root.pk}/password/",
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    deleted = client.post(f"{USERS}{root.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, password.status_code, deleted.status_code) == (403, 403, 403)
    root.refresh_from_db()
    assert root.is_superuser
    assert not root.check_password(NEW_PASSWORD)
    assert client.get(f"{USERS}{root.pk}/change/").status_code == 200  # still visible


def test_a_superuser_may_grant_and_revoke_it(client, root, make_user):
    sam = make_user("sam", is_staff=True)
    client.force_login(root)

    client.post(f"{USERS}{sam.pk}/change/", change_form(sam, is_superuser=True))
    sam.refresh_from_db()
    assert sam.is_superuser
    client.post(f"{USERS}{sam.pk}/change/", change_form(sam, is_superuser=False))
    sam.refresh_from_db()
    assert not sam.is_superuser


def test_the_services_refuse_it_too(administrator, root, make_user):
    sam = make_user("sam")

    with pytest.raises(PermissionDenied):
        user_update_by_admin(user=sam, by=administrator, is_superuser=True)
    with pytest.raises(PermissionDenied):
        user_update_by_admin(user=root, by=administrator, email="root@example.org")
    with pytest.raises(PermissionDenied):
        user_set_password(user=root, by=administrator, password=NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        user_delete(user=root, by=administrator)
    with pytest.raises(PermissionDenied):
        user_create(username="boss", is_superuser=True, by=administrator)
    sam.refresh_from_db()
    root.refresh_from_db()
    assert not sam.is_superuser
    assert root.email == "root@example.com"


def test_superusers_and_set_up_scripts_may(root, make_user):
    sam = make_user("sam")

    user_update_by_admin(user=sam, by=root, is_superuser=True)
    user_create(username="owner", is_superuser=True, is_staff=True)  # the set-up script: no one

    sam.refresh_from_db()
    assert sam.is_superuser
