"""The media library: each image or document uploaded once, used by any article.

The stored file's name is made by the service (``apps.media.services``), never
taken from the uploader; the name, type, size, dimensions and checksum are
those of the bytes actually stored.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class MediaItem(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        DOCUMENT = "document", _("Document")

    # In the stored name (images/<key.hex>/…), so any URL of the item or of its
    # renditions leads back to it (selectors.media_item_from_url).
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("file"), max_length=255)
    title = models.CharField(_("title"), max_length=200)
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_("What the image shows, for those who cannot see it. Required for images."),
    )
    caption = models.TextField(_("caption"), blank=True)
    original_name = models.CharField(
        _("original name"),
        max_length=255,
        blank=True,
        help_text=_("The uploader's file name, for display only."),
    )
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"), help_text=_("Bytes stored."))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    checksum = models.CharField(
        _("checksum"), max_length=64, db_index=True, help_text=_("SHA-256 of the stored bytes.")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="media_items",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("media item")
        verbose_name_plural = _("media items")

    def __str__(self) -> str:
        return self.title

    @property
    def is_image(self) -> bool:
        return self.kind == self.Kind.IMAGE

    def thumbnail_url(self) -> str:
        """The URL of a small picture of the item for lists and choosers; "" for documents.

        The one place that says which file stands for the item in a list: the
        240 px WebP rendition when there is one. Lists that show many items
        prefetch ``renditions`` so this costs no query per row.
        """
        if not (self.is_image and self.file):
            return ""
        from .renditions import THUMBNAIL_WIDTH, rendition_pick

        # The admin's thumbnail rendition when the image is wider than it; the
        # original (already small, or a GIF's own animation) otherwise.
        thumbnail = rendition_pick(item=self, width=THUMBNAIL_WIDTH, formats=("webp",))
        if thumbnail is not None and thumbnail.width <= THUMBNAIL_WIDTH:
            return thumbnail.file.url
        return self.file.url


class Rendition(models.Model):
    """One smaller copy of an image, made once at upload (``apps.media.renditions``).

    The row says everything a page needs for ``srcset`` (the file's name,
    width, height, format and size), so rendering never asks the storage
    whether a file exists or how large it is.
    """

    class Format(models.TextChoices):
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"
        PNG = "png", "PNG"

    media = models.ForeignKey(MediaItem, on_delete=models.CASCADE, related_name="renditions")
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    file = models.FileField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), help_text=_("Bytes stored."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ("media", "width", "format")
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        constraints = [
            models.UniqueConstraint(
                fields=["media", "width", "format"], name="media_rendition_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.media} at {self.width} px ({self.get_format_display()})"

    @property
    def content_type(self) -> str:
        return f"image/{self.format}"


def _rendition_file_delete(sender: type[Rendition], instance: Rendition, **kwargs: Any) -> None:
    # Rows go with their item (CASCADE skips any service); their files follow
    # once the deletion is committed, never before a rollback could keep the row.
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: _storage_delete(storage, name), using=kwargs.get("using"))


def _storage_delete(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # a stray file is only space; the row is what pages read
        logger.exception("Could not delete the rendition file %s", name)


post_delete.connect(_rendition_file_delete, sender=Rendition, dispatch_uid="media:rendition-file")
