"""A site with a row in every carried model; archives rewritten as an attacker or a bad copy would.

``fill_site`` goes through the services wherever one exists, so the rows are
the ones the site really writes (revisions, history, Django's LogEntry, the
media links); the round-trip tests require it to cover every model the
archive carries, so a new model is proven to move before it ships.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

MOVER = "mover"
MOVER_PASSWORD = "moving-house-password-7"


@dataclass
class FilledSite:
    mover: Any
    editor: Any
    article: Any
    image: Any
    device: Any


def fill_site() -> FilledSite:
    """At least one row of every model the archive carries (sessions included)."""
    from taggit.models import Tag, TaggedItem

    from apps.content.services import article_create, article_update, section_create
    from apps.media.services import media_upload
    from apps.siteadmin.models import SiteSettings
    from tests.fixtures import authenticator_for
    from tests.media.conftest import image_bytes, upload

    users = get_user_model()
    editor = users.objects.create_user("edith", email="edith@example.com", is_staff=True)
    editor.set_password(MOVER_PASSWORD)
    editor.save()
    editor.groups.add(Group.objects.get(name="editor"))
    mover = users.objects.create_user(MOVER, email="mover@example.com", password=MOVER_PASSWORD)
    mover.user_permissions.add(Permission.objects.get(codename="view_operations"))
    device, _codes = authenticator_for(editor)

    section = section_create(name="Removals", description="Boxes and vans", by=editor)
    image = media_upload(
        file=upload("van.png", image_bytes("PNG", (1000, 600))),
        title="The van",
        alt_text="A red van",
        by=editor,
    )
    article = article_create(
        title="Moving day",
        body="<p>Boxes, tape and a van.</p>",
        author=editor,
        section=section,
        tags=["boxes", "Vans"],
        featured_image=image,
        status="published",
        published_at=timezone.now(),
        by=editor,
    )
    article = article_update(article=article, by=editor, title="Moving day, again")
    # taggit's own generic table, which the site does not use but the archive must carry.
    TaggedItem.objects.create(
        tag=Tag.objects.get(name="boxes"),
        content_type=ContentType.objects.get_for_model(section),
        object_id=section.pk,
    )
    SiteSettings.objects.filter(pk=1).update(site_name="Moved Site")
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session["_auth_user_id"] = str(mover.pk)
    session.create()
    return FilledSite(mover=mover, editor=editor, article=article, image=image, device=device)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rewrite_archive(
    source: Path,
    target: Path,
    *,
    change: dict[str, bytes | None] | None = None,
    add: dict[str, bytes] | None = None,
    manifest: Any = None,
    fix_checksums: bool = True,
) -> None:
    """Copy an archive, changing members (None drops one), adding some, editing the manifest.

    With ``fix_checksums`` the manifest's SHA-256 of every changed data part is
    recomputed, so only the check under test can catch what was done.
    """
    change, add = change or {}, add or {}
    with zipfile.ZipFile(source) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    data = json.loads(members.pop("manifest.json"))
    for name, content in change.items():
        if content is None:
            members.pop(name, None)
        else:
            members[name] = content
            if fix_checksums:
                for part in data["parts"]:
                    if part["member"] == name:
                        part["sha256"] = sha256_of(content)
    members.update(add)
    if manifest:
        manifest(data)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
        zf.writestr("manifest.json", json.dumps(data))


def part_member(path: Path, label: str) -> str:
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    return next(p["member"] for p in manifest["parts"] if p["label"] == label)


def read_member(path: Path, member: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)
