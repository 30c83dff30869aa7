"""The roles' rights on sections and tags (the roles themselves: apps/users, 0002_roles).

Editors and administrators manage both; authors pick a section and type tags
on their own articles (new tag names become tags), but neither rename nor
delete them. Frozen here like the roles' own migration.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGE = {
    "content": ["add_section", "change_section", "delete_section", "view_section"],
    "taggit": ["add_tag", "change_tag", "delete_tag", "view_tag"],
}
ROLE_PERMISSIONS = {
    "administrator": MANAGE,
    "editor": MANAGE,
    "author": {"content": ["view_section"], "taggit": ["view_tag"]},
}


def grant(apps, schema_editor):
    for label in MANAGE:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for label, codenames in by_app.items():
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS):
        for label, codenames in MANAGE.items():
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0004_sections_tags_schedule_revisions"),
        ("users", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
