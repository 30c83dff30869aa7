"""STATIC_ROOT is public: collected 0755/0644 under the private umask (filamenta/file_modes.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage

PUBLIC_UMASK = 0o022


@contextlib.contextmanager
def public_umask() -> Iterator[None]:
    """Umask 022 for a block that writes files for the web server; only in one-thread commands."""
    previous = os.umask(PUBLIC_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


class PublicStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, writing STATIC_ROOT world-readable under the private umask.

    Django's storage applies ``file_permissions_mode`` to the files it saves,
    but creates folders under the umask, and whitenoise writes its ``.gz`` and
    ``.br`` copies with a plain ``open``: under umask 077 nginx could read
    none of them. collectstatic is a command, one thread, so changing the
    umask around its writes races with nothing.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o644)
        kwargs.setdefault("directory_permissions_mode", 0o755)
        super().__init__(*args, **kwargs)

    def _save(self, name: str, content: Any) -> str:
        with public_umask():
            return super()._save(name, content)

    def post_process(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with public_umask():
            yield from super().post_process(*args, **kwargs)
