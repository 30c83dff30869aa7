"""The four roles exist on each database with the permissions their job needs."""

import pytest
from django.contrib.auth.models import Group

from apps.users.roles import ROLES

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def permissions_of(role):
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_role_is_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_administrator_runs_the_site():
    granted = permissions_of("administrator")
    assert {
        "users.change_user",
        "auth.change_group",
        "content.publish_article",
        "siteadmin.change_sitesettings",
        "siteadmin.view_auditentry",
        "siteadmin.view_operations",
    } <= granted
    # History is evidence: nobody is granted to alter it.
    assert not {"siteadmin.change_auditentry", "siteadmin.delete_auditentry"} & granted


def test_editor_publishes_but_does_not_manage_people():
    granted = permissions_of("editor")
    assert "content.publish_article" in granted
    assert "content.delete_article" in granted
    assert "media.delete_mediaitem" in granted
    # Sections and tags are managed by editors.
    assert {"content.change_section", "content.delete_section", "taggit.change_tag"} <= granted
    assert "users.change_user" not in granted
    assert "siteadmin.change_sitesettings" not in granted


def test_author_writes_but_cannot_publish_or_delete():
    assert permissions_of("author") == {
        "content.add_article",
        "content.change_article",
        "content.view_article",
        # Their own uploads only (apps/media/selectors.py).
        "media.add_mediaitem",
        "media.change_mediaitem",
        "media.view_mediaitem",
        # They pick a section and type tags; renaming or deleting either is an editor's.
        "content.view_section",
        "taggit.view_tag",
    }


def test_reader_has_no_admin_permissions():
    assert permissions_of("reader") == set()


def test_a_user_gets_the_permissions_of_their_role(make_user):
    user = make_user("pat", role="editor")
    assert user.has_perm("content.publish_article")
    assert not user.has_perm("users.delete_user")
