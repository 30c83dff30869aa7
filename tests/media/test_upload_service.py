"""media_upload stores what it checked, under a name it made, and records it."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image

from apps.media.models import MediaItem
from apps.media.services import media_upload
from apps.siteadmin.models import AuditEntry

from .conftest import MINIMAL_PDF, image_bytes, upload

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def test_an_image_is_stored_under_a_generated_name_with_its_facts(media_root, editor):
    item = media_upload(
        file=upload("Holiday Photo.png", image_bytes("PNG", (64, 48))),
        title="A red square",
        alt_text="A red square",
        by=editor,
    )

    item.refresh_from_db()
    assert item.kind == MediaItem.Kind.IMAGE
    assert item.file.name == f"images/{item.key.hex}/a-red-square.png"
    assert (item.width, item.height) == (64, 48)
    stored = (media_root / item.file.name).read_bytes()
    assert item.size == len(stored)
    assert item.checksum == hashlib.sha256(stored).hexdigest()
    assert item.content_type == "image/png"
    assert item.original_name == "Holiday Photo.png"
    assert item.uploaded_by == editor
    with Image.open(media_root / item.file.name) as image:
        assert image.size == (64, 48)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.ADDED, object_id=str(item.pk)
    ).exists()


def test_a_pdf_is_stored_as_a_document(media_root, editor):
    item = media_upload(file=upload("report.pdf", MINIMAL_PDF), title="Report", by=editor)

    assert item.kind == MediaItem.Kind.DOCUMENT
    assert item.file.name == f"documents/{item.key.hex}/report.pdf"
    assert (media_root / item.file.name).read_bytes() == MINIMAL_PDF
    assert item.checksum == hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert item.width is None
