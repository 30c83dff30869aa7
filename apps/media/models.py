"""The media library: each image or document uploaded once, used by any article.

The stored file's name is made by the service (``apps.media.services``), never
taken from the uploader; the name, type, size, dimensions and checksum are
those of the bytes actually stored.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class MediaItem(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        DOCUMENT = "document", "Document"

    # In the stored name (images/<key.hex>/…), so any URL of the item or of its
    # renditions leads back to it (selectors.media_item_from_url).
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(max_length=255)
    title = models.CharField(max_length=200)
    alt_text = models.CharField(
        "alt text",
        max_length=300,
        blank=True,
        help_text="What the image shows, for those who cannot see it. Required for images.",
    )
    caption = models.TextField(blank=True)
    original_name = models.CharField(
        max_length=255, blank=True, help_text="The uploader's file name, for display only."
    )
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes stored.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    checksum = models.CharField(
        max_length=64, db_index=True, help_text="SHA-256 of the stored bytes."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="media_items",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = "media item"
        verbose_name_plural = "media items"

    def __str__(self) -> str:
        return self.title

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE

    def thumbnail_url(self) -> str:
        """The URL of a small picture of the item for lists and choosers; "" for documents.

        The one place that says which file stands for the item in a list, so a
        thumbnail rendition can take the original's place here alone; until
        then lists scale the original down with CSS.
        """
        return self.file.url if self.is_image and self.file else ""
