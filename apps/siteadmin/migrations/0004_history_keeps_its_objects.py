"""History entries hold their object themselves (issue 11, finding 8).

Until now an entry reached its object through Django's LogEntry, which is
deleted with the person who acted. The entries that still have theirs copy
the object from it here; entries whose LogEntry is already gone (their
person was deleted before this migration) keep only their summary, which
names the object.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_objects_from_log_entries(apps, schema_editor):
    # Django's own LogEntry, not the historical model: its get_change_message()
    # turns the admin's JSON messages into the words History pages show, and
    # that is a function of the one column alone.
    from django.contrib.admin.models import LogEntry as Words

    AuditEntry = apps.get_model("siteadmin", "AuditEntry")
    linked = AuditEntry.objects.filter(log_entry__isnull=False).select_related("log_entry")
    for entry in linked.iterator(chunk_size=500):
        log = entry.log_entry
        entry.content_type_id = log.content_type_id
        entry.object_id = log.object_id or ""
        entry.object_repr = log.object_repr
        entry.message = Words(change_message=log.change_message).get_change_message()
        entry.save(update_fields=["content_type", "object_id", "object_repr", "message"])


class Migration(migrations.Migration):

    dependencies = [
        ('admin', '0003_logentry_add_action_flag_choices'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('siteadmin', '0003_site_settings_row'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='content_type',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='contenttypes.contenttype'),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='message',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='object_id',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='object_repr',
            field=models.CharField(blank=True, max_length=200, verbose_name='object'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(fields=['content_type', 'object_id'], name='audit_object'),
        ),
        migrations.RunPython(copy_objects_from_log_entries, migrations.RunPython.noop),
    ]
