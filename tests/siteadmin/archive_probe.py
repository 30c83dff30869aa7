"""What a moved site must still say, computed the same way at the source and at the target.

``python -m tests.siteadmin.archive_probe [--after-import]`` prints it as JSON
in a child process on the target's settings; the tests call
:func:`site_facts` in their own process for the source.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any


def site_facts(*, after_import: bool = False) -> dict[str, Any]:
    from django.contrib.auth import authenticate, get_user_model
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.content.models import Article
    from apps.media.models import MediaItem, Rendition
    from apps.siteadmin.models import AuditEntry, SiteSettings
    from apps.siteadmin.site_archive import exported_models

    from .archive_helpers import MOVER, MOVER_PASSWORD

    def sha256(field: Any) -> str:
        with field.storage.open(field.name, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()

    article = Article.objects.get(slug="moving-day")
    facts: dict[str, Any] = {
        "vendor": connection.vendor,
        "counts": {m._meta.label_lower: m._base_manager.count() for m in exported_models()},
        "signs_in": authenticate(username=MOVER, password=MOVER_PASSWORD) is not None,
        "roles": sorted(
            get_user_model().objects.get(username="edith").groups.values_list("name", flat=True)
        ),
        "permissions": sorted(get_user_model().objects.get(username=MOVER).get_all_permissions()),
        "history": sorted(
            [e.content_type.app_label, e.content_type.model, e.object_id, e.object_repr]
            for e in AuditEntry.objects.exclude(content_type=None).select_related("content_type")
        ),
        "history_resolves": all(
            e.content_type.get_object_for_this_type(pk=e.object_id) is not None
            for e in AuditEntry.objects.filter(content_type__model="article")
        ),
        "article": [article.title, article.section.name, article.author.username],
        "tags": sorted(article.tags.names()),
        "revisions": list(article.revisions.order_by("number").values_list("number", "title")),
        "featured": str(article.featured_image.key),
        "totp": list(TOTPDevice.objects.values_list("user__username", "key", "confirmed")),
        "media": sorted((str(i.key), sha256(i.file)) for i in MediaItem.objects.all()),
        "renditions": sorted((r.file.name, sha256(r.file)) for r in Rendition.objects.all()),
        "site_name": SiteSettings.objects.get(pk=1).site_name,
        "updated_at": article.updated_at.isoformat(),
    }
    if after_import:
        # New rows get fresh keys: the sequences were moved past the imported ones.
        newcomer = get_user_model().objects.create_user("newcomer", password=MOVER_PASSWORD)
        facts["new_user_after_imported"] = newcomer.pk > max(
            u.pk for u in get_user_model().objects.exclude(pk=newcomer.pk)
        )
    return facts


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(site_facts(after_import="--after-import" in sys.argv)))
