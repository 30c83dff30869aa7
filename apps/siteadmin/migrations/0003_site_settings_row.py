"""The one site-settings row (pk=1), so that reading the settings never has to write.

The defaults are the model's; an existing row is left as it is.
"""

from django.db import migrations


def create_row(apps, schema_editor):
    SiteSettings = apps.get_model("siteadmin", "SiteSettings")
    SiteSettings.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


class Migration(migrations.Migration):

    dependencies = [
        ("siteadmin", "0002_history_entries_label"),
    ]

    operations = [
        migrations.RunPython(create_row, migrations.RunPython.noop, elidable=False),
    ]
