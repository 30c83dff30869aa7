"""Counters are found by the SHA-256 of their key: see cache.key_digest for why.

The rows already there are kept, re-keyed, so no rate limit restarts at deploy.
"""

import hashlib

from django.db import migrations, models


def digest_existing_keys(apps, schema_editor) -> None:
    # After the rename the readable key still sits in "digest": move it, then hash it.
    counters = apps.get_model("counters", "Counter").objects.using(schema_editor.connection.alias)
    for old in list(counters.values_list("digest", flat=True)):
        counters.filter(digest=old).update(digest=hashlib.sha256(old.encode()).hexdigest(), key=old)


def restore_readable_keys(apps, schema_editor) -> None:
    counters = apps.get_model("counters", "Counter").objects.using(schema_editor.connection.alias)
    for digest, key in list(counters.values_list("digest", "key")):
        rows = counters.filter(digest=digest)
        if len(key) <= 255:
            rows.update(digest=key)
        else:  # too long for the old column: that counter starts afresh
            rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("counters", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="counter", old_name="key", new_name="digest"),
        migrations.AddField(
            model_name="counter",
            name="key",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(digest_existing_keys, restore_readable_keys),
        migrations.AlterField(
            model_name="counter",
            name="digest",
            field=models.CharField(max_length=64, primary_key=True, serialize=False),
        ),
    ]
