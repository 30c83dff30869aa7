"""The upload limit applied while a request arrives, before a byte past it is kept anywhere.

Django streams an uploaded file to a temporary file (past
``FILE_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB) in ``FILE_UPLOAD_TEMP_DIR``; it
would keep a 2 GB upload there whole before any form saw it, which on a shared
host is the account's disk quota. ``MediaUploadLimitHandler`` runs first and
skips the file as soon as it passes ``MEDIA_MAX_UPLOAD_MB``: the rest of it is
read and dropped, the partial temporary file deleted, and the form then says
why with ``media_upload_refusal``.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .services import MEGABYTE, MediaRefused

REFUSED_ATTRIBUTE = "_media_uploads_refused"


class MediaUploadLimitHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: passes each chunk on, until the file is too large."""

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.received = 0
        # Django's temporary-file handler (next in line) needs the folder to exist.
        if temp_dir := settings.FILE_UPLOAD_TEMP_DIR:
            os.makedirs(temp_dir, mode=0o700, exist_ok=True)
        if self.content_length and self.content_length > self._limit():
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self._limit():
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file

    def _limit(self) -> int:
        return settings.MEDIA_MAX_UPLOAD_MB * MEGABYTE

    def _refuse(self) -> None:
        refused = getattr(self.request, REFUSED_ATTRIBUTE, None)
        if refused is None:
            refused = {}
            setattr(self.request, REFUSED_ATTRIBUTE, refused)
        refused[self.field_name] = self.file_name
        raise SkipFile


def media_upload_refusal(*, request: HttpRequest, field_name: str) -> MediaRefused | None:
    """The refusal of the file sent as ``field_name`` while it arrived (too large), if any."""
    refused = getattr(request, REFUSED_ATTRIBUTE, {})
    if field_name not in refused:
        return None
    limit = settings.MEDIA_MAX_UPLOAD_MB
    return MediaRefused(
        _(
            "The file is larger than the limit of %(limit)d MB (MEDIA_MAX_UPLOAD_MB); "
            "nothing was stored."
        )
        % {"limit": limit},
        code="too_large",
    )
