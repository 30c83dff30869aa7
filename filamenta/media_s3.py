"""The object store of media (``MEDIA_STORAGE=s3``): django-storages' S3Storage, tuned.

Its own module so that only a host configured for S3 imports boto3
(filamenta/media_storage.py, which settings import, never does).
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage

from filamenta.media_storage import (
    CACHE_CONTROL,
    MediaStoreUnavailable,
    content_type_for,
    is_document,
)


class MediaS3Storage(S3Storage):
    """django-storages' S3Storage with per-object headers, bounded calls and clear errors.

    - ContentType from the stored name (chosen by the upload service from the
      detected content), ContentDisposition "attachment" for documents/…: an
      uploaded document is downloaded, never rendered on the store's origin.
      (S3 cannot send X-Content-Type-Options; a right type and the attachment
      disposition are what it has, and the store is another origin than the site.)
    - Timeouts of seconds and one retry, not boto3's minute and five: an
      upload to a store that is down fails inside the worker's timeout.
    - Any botocore error on a write is :class:`MediaStoreUnavailable`.
    URLs (signed ones too) are computed locally: no request reaches the store
    to render a page.
    """

    def __init__(self, **settings: Any) -> None:
        if settings.get("client_config") is None:
            settings["client_config"] = Config(
                s3={"addressing_style": settings.get("addressing_style")},
                signature_version=settings.get("signature_version", "s3v4"),
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 2, "mode": "standard"},
            )
        super().__init__(**settings)

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        params = super().get_object_parameters(name)
        relative = name
        if self.location and name.startswith(self.location.rstrip("/") + "/"):
            relative = name[len(self.location.rstrip("/")) + 1 :]
        params["ContentType"] = content_type_for(relative)
        params.setdefault("CacheControl", CACHE_CONTROL)
        if is_document(relative):
            params["ContentDisposition"] = "attachment"
        return params

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        try:
            return super().save(name, content, max_length=max_length)
        except (BotoCoreError, ClientError) as error:
            raise MediaStoreUnavailable(
                f"The media store (bucket {self.bucket_name!r} at {self.endpoint_url}) did not "
                f"take the file: {error}. Nothing was stored; try again once it answers.",
                code="media_store_unavailable",
            ) from error
