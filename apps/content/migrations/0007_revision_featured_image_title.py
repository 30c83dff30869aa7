"""A revision keeps its featured image's title, as it keeps its section's name.

The image itself is SET_NULL on a revision: once the library deletes it, a
restore must still be able to say which picture is gone. Revisions written
before this keep the title of the image they still point at.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_titles(apps, schema_editor):
    ArticleRevision = apps.get_model("content", "ArticleRevision")
    MediaItem = apps.get_model("media", "MediaItem")
    ArticleRevision.objects.filter(featured_image__isnull=False).update(
        featured_image_title=Subquery(
            MediaItem.objects.filter(pk=OuterRef("featured_image_id")).values("title")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0005_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="articlerevision",
            name="featured_image_title",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(fill_titles, migrations.RunPython.noop),
    ]
