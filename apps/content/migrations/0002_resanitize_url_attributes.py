"""Clean the bodies stored before every URL attribute was checked (``cite`` was not).

Bodies are sanitised on save only, so those written before the fix could keep
``<blockquote cite="javascript:…">``. Sanitising again is idempotent for every
other body; only those with a ``cite`` are rewritten.
"""

from django.db import migrations

from apps.content.sanitize import sanitize_html


def resanitize_bodies(apps, schema_editor):
    Article = apps.get_model("content", "Article")
    for article in Article.objects.filter(body__icontains="cite").only("pk", "body").iterator():
        # About URL schemes only: which hosts images may come from is decided on the next save.
        cleaned = sanitize_html(article.body, allow_external_images=True)
        if cleaned != article.body:
            Article.objects.filter(pk=article.pk).update(body=cleaned)


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [migrations.RunPython(resanitize_bodies, migrations.RunPython.noop)]
