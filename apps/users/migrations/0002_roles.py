"""The four roles as groups with their permissions (see apps/users/roles.py).

Permissions are normally created after all migrations have run
(post_migrate), so this migration creates them first for the apps it needs.
The role definitions are frozen here on purpose: a later change of roles is a
new migration, so every existing site moves the same way.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "administrator": [
        "users.add_user", "users.change_user", "users.delete_user", "users.view_user",
        "auth.add_group", "auth.change_group", "auth.delete_group", "auth.view_group",
        "content.add_article", "content.change_article", "content.delete_article",
        "content.view_article", "content.publish_article",
        "siteadmin.view_auditentry",
        "siteadmin.view_sitesettings", "siteadmin.change_sitesettings",
        "siteadmin.view_operations",
        "admin.view_logentry",
    ],
    "editor": [
        "content.add_article", "content.change_article", "content.delete_article",
        "content.view_article", "content.publish_article",
        "users.view_user",
    ],
    "author": ["content.add_article", "content.change_article", "content.view_article"],
    "reader": [],
}


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("content", "0001_initial"),
        ("siteadmin", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
