"""The roles' rights on the media library (the roles themselves: apps/users, 0002_roles).

Authors upload and change what they uploaded (the admin and the selectors show
them nothing else); editors and administrators work on everything, deletion
included. Frozen here like the roles' own migration: a later change is a new one.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "administrator": ["add_mediaitem", "change_mediaitem", "delete_mediaitem", "view_mediaitem"],
    "editor": ["add_mediaitem", "change_mediaitem", "delete_mediaitem", "view_mediaitem"],
    "author": ["add_mediaitem", "change_mediaitem", "view_mediaitem"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("media")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="media", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="media"))


class Migration(migrations.Migration):
    dependencies = [
        ("media", "0001_initial"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
