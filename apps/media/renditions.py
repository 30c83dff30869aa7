"""Renditions: each image's smaller copies, made once at upload and listed in the database.

Made with Pillow directly rather than easy-thumbnails, sorl-thumbnail or
django-imagekit: those three decide on each page view whether a thumbnail
exists (easy-thumbnails compares modification times, on the storage for local
files, sorl-thumbnail asks its key-value store, imagekit's default strategy asks
the storage or the cache), and each keeps its own records beside ours. Here a
``Rendition`` row is written when the file is, so a page lists the srcset from
rows it already read with the article (no storage call, no lookup per image),
and every file goes through ``default_storage``, the filesystem or S3 alike.

Which renditions:
- widths ``RENDITION_WIDTHS`` (240 for the admin's thumbnail, 480/960/1600 for
  pages), each only when the original is wider: never upscaled;
- each as WebP plus the original's format (a WebP original: WebP only);
- a GIF keeps its original only, so an animation stays animated, plus a
  first-frame WebP thumbnail for the admin's lists.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from .models import MediaItem, Rendition

logger = logging.getLogger(__name__)

THUMBNAIL_WIDTH = 240
PAGE_WIDTHS = (480, 960, 1600)
RENDITION_WIDTHS = (THUMBNAIL_WIDTH, *PAGE_WIDTHS)
WEBP = Rendition.Format.WEBP
# The original's format for each type the upload allows; GIF has none (see above).
ORIGINAL_FORMATS = {
    "image/jpeg": Rendition.Format.JPEG,
    "image/png": Rendition.Format.PNG,
    "image/webp": Rendition.Format.WEBP,
}
_SAVE_OPTIONS = {
    Rendition.Format.WEBP: {"format": "WEBP", "quality": 80, "method": 4},
    Rendition.Format.JPEG: {"format": "JPEG", "quality": 82, "progressive": True, "optimize": True},
    Rendition.Format.PNG: {"format": "PNG", "optimize": True},
}


@dataclass(frozen=True)
class Planned:
    width: int
    format: str


def renditions_planned(*, item: MediaItem) -> list[Planned]:
    """The renditions ``item`` should have: what ``renditions_make`` makes, widest first."""
    if not item.is_image or not item.width or not item.height:
        return []
    if item.content_type == "image/gif":
        return [Planned(THUMBNAIL_WIDTH, WEBP)] if item.width > THUMBNAIL_WIDTH else []
    formats = list(dict.fromkeys((WEBP, ORIGINAL_FORMATS.get(item.content_type, WEBP))))
    return [
        Planned(width, fmt)
        for width in sorted(RENDITION_WIDTHS, reverse=True)
        if width < item.width
        for fmt in formats
    ]


def renditions_make(*, item: MediaItem) -> None:
    """Make the renditions ``item`` lacks (all of them at upload, none the second time).

    Called by ``media_upload`` once the original is stored. Each file is
    written to the default storage under ``renditions/<key.hex>/`` (so any
    rendition URL leads back to its item) and recorded as a row; a missing
    row is made again, an existing one never.
    """
    have = set(item.renditions.values_list("width", "format"))
    todo = [p for p in renditions_planned(item=item) if (p.width, p.format) not in have]
    if not todo:
        return
    stored: list[str] = []
    try:
        with item.file.open("rb") as original, Image.open(original) as opened:
            opened.seek(0)  # a GIF's first frame
            image = _resizable(ImageOps.exif_transpose(opened))
        # Widest first, each from the one before: four resizes of a 4000 px
        # photo become one large and three small ones.
        for width in sorted({p.width for p in todo}, reverse=True):
            height = max(1, round(item.height * width / item.width))
            image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
            for planned in (p for p in todo if p.width == width):
                rendition = _rendition_store(item=item, image=image, planned=planned)
                stored.append(rendition.file.name)
                # One row per file, saved (not bulk-created) so the pages that
                # show the item see the ``media.rendition`` change.
                Rendition.objects.get_or_create(
                    media=item,
                    width=planned.width,
                    format=planned.format,
                    defaults={
                        "height": rendition.height,
                        "file": rendition.file.name,
                        "size": rendition.size,
                    },
                )
    except Exception as error:
        for name in stored:
            _file_forget(name)
        from .services import MediaRefused

        if isinstance(error, MediaRefused):
            raise
        logger.exception("Renditions of media item %s failed", item.pk)
        raise MediaRefused(
            "The media storage did not accept the image's smaller copies; nothing was "
            "stored. Try again later or tell the site's administrator.",
            code="storage",
        ) from error


def _resizable(image: Image.Image) -> Image.Image:
    """The image in a mode Pillow resizes smoothly (palette images resize by nearest pixel)."""
    if image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    transparent = "A" in image.mode or "transparency" in image.info
    return image.convert("RGBA" if transparent else "RGB")


def _file_forget(name: str) -> None:
    try:
        default_storage.delete(name)
    except Exception:  # a stray file is only space
        logger.exception("Could not delete the rendition file %s", name)


def _rendition_store(*, item: MediaItem, image: Image.Image, planned: Planned) -> Rendition:
    fmt = planned.format
    if fmt == Rendition.Format.JPEG and image.mode != "RGB":
        image = image.convert("RGB")
    elif fmt == Rendition.Format.WEBP and image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, **_SAVE_OPTIONS[fmt])
    data = buffer.getvalue()
    content = ContentFile(data)
    # What an object store labels the object with (see media_upload).
    content.content_type = f"image/{fmt}"
    name = default_storage.save(f"renditions/{item.key.hex}/{planned.width}.{fmt}", content)
    return Rendition(
        media=item,
        width=image.width,
        height=image.height,
        format=fmt,
        file=name,
        size=len(data),
    )


def renditions_of(*, item: MediaItem) -> list[Rendition]:
    """``item``'s renditions, narrowest first, from the prefetched rows when there are any."""
    return sorted(item.renditions.all(), key=lambda r: (r.width, r.format))


def rendition_pick(
    *, item: MediaItem, width: int, formats: Iterable[str] | None = None
) -> Rendition | None:
    """The narrowest rendition at least ``width`` wide (else the widest), in ``formats``.

    ``formats`` defaults to the original's format, for readers that may not
    take WebP (feeds, Open Graph). None when the item has none in that format.
    """
    wanted = set(formats) if formats is not None else {ORIGINAL_FORMATS.get(item.content_type)}
    found = [r for r in renditions_of(item=item) if r.format in wanted]
    if not found:
        return None
    return next((r for r in found if r.width >= width), found[-1])


def image_candidates(item: MediaItem) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """``item``'s (URL, width) candidates: the WebP ones, and the original format's.

    The second list ends with the original itself. A GIF has no
    original-format copies and no WebP ones here: its animation is shown as
    uploaded (its WebP thumbnail is the admin's, a still frame).
    """
    original_format = ORIGINAL_FORMATS.get(item.content_type)
    renditions = renditions_of(item=item)
    webp = [(r.file.url, r.width) for r in renditions if r.format == WEBP and original_format]
    fallback = [
        *((r.file.url, r.width) for r in renditions if r.format == original_format),
        (item.file.url, item.width or 0),
    ]
    return webp, fallback


def image_src(fallback: list[tuple[str, int]], *, width: int = 960) -> str:
    """The ``<img>``'s own src: the candidate a ``width`` px column would take (else the
    original), for browsers without srcset and for readers that copy the src."""
    return next((url for url, w in fallback if w >= width), fallback[-1][0])


def image_srcset(candidates: list[tuple[str, int]], *, always: bool = False) -> str:
    """A srcset of the candidates; empty for one (the src says it all) unless ``always``
    (a ``<source>`` has no src of its own)."""
    if len(candidates) < 2 and not always:
        return ""
    return ", ".join(f"{url} {width}w" for url, width in candidates)
