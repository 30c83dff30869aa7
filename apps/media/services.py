"""Every write to the media library goes through here; an upload is judged by its content.

What a file is comes from its first bytes and, for images, from Pillow
opening, verifying and decoding it whole, never from its name or the type the
browser sent: a page named ``photo.jpg`` is refused, a PNG named ``report.pdf``
is stored as the PNG it is. Images are re-encoded before they are stored, which
drops their EXIF (GPS position, camera serial), XMP and comments and applies
the EXIF orientation to the pixels, so what is served is only the picture.
The stored name is made here (``images/<key>/<slug>.<ext>``); the uploader's
name is kept, cleaned, for display only.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import get_text_list, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from PIL import Image, ImageOps, UnidentifiedImageError

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.services import (
    audited_delete,
    history_change_message,
    history_record,
    model_changed_fields,
)
from filamenta.media_storage import MediaStoreUnavailable

from .models import MediaItem
from .renditions import renditions_make
from .selectors import media_usages

logger = logging.getLogger(__name__)

MEGABYTE = 1024 * 1024
# Decoding costs memory by the pixel (4 bytes each in RGBA), whatever the file's
# size: a 20000 x 20000 PNG of one colour is a few hundred kilobytes and 1.6 GB
# decoded. 50 megapixels covers an 8000 x 6000 camera picture and stays within
# a shared host's memory; animated images count every frame.
MAX_IMAGE_PIXELS = 50_000_000
# Pillow's own check, for every decode in the process (renditions too): it warns
# past this and refuses to open past twice this.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
STEM_LENGTH = 60
JPEG_QUALITY = 92
WEBP_QUALITY = 90


class MediaRefused(ValidationError):
    """An upload or change the library will not take; the message says why and names the limit.

    ``field`` is the form field it is about ("file", "alt_text", "title"), so the
    admin shows it where it belongs.
    """

    def __init__(self, message: str, *, field: str = "file", code: str = "refused") -> None:
        super().__init__(message, code=code)
        self.field = field


class MediaInUse(ValidationError):
    """A deletion refused because articles use the item(s); ``usages`` maps each to them."""

    def __init__(self, message: str, *, usages: dict[MediaItem, list[Any]]) -> None:
        super().__init__(message, code="in_use")
        self.usages = usages


@dataclass(frozen=True)
class Format:
    kind: str
    content_type: str
    extension: str
    label: str
    pillow: str | None  # Pillow's format name, None for documents


JPEG = Format(MediaItem.Kind.IMAGE, "image/jpeg", "jpg", "JPEG", "JPEG")
PNG = Format(MediaItem.Kind.IMAGE, "image/png", "png", "PNG", "PNG")
GIF = Format(MediaItem.Kind.IMAGE, "image/gif", "gif", "GIF", "GIF")
WEBP = Format(MediaItem.Kind.IMAGE, "image/webp", "webp", "WebP", "WEBP")
PDF = Format(MediaItem.Kind.DOCUMENT, "application/pdf", "pdf", "PDF", None)
ACCEPTED = (JPEG, PNG, WEBP, GIF, PDF)
# What each format's files are usually named, to tell the uploader when a
# name said otherwise (the content decides).
USUAL_EXTENSIONS = {
    "image/jpeg": {"jpg", "jpeg", "jpe", "jfif"},
    "image/png": {"png"},
    "image/gif": {"gif"},
    "image/webp": {"webp"},
    "application/pdf": {"pdf"},
}
NOT_ACCEPTED = gettext_lazy(
    "Only JPEG, PNG, WebP and GIF images and PDF documents are accepted, judged by the "
    "file's content, not its name; this file is none of them."
)
MARKUP_REFUSED = gettext_lazy(
    "SVG, HTML and other markup files are refused: they can carry scripts that would run "
    "on this site. Upload a JPEG, PNG, WebP or GIF image, or a PDF."
)


def media_format_of(head: bytes) -> Format | None:
    """The accepted format whose signature ``head`` (the file's first bytes) starts with."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    # At the very start: a PDF reader tolerates junk before it, which is how
    # an HTML page and a PDF become one file.
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def media_clean_name(name: str) -> str:
    """The uploader's file name, fit to show: its last part, printable, at most 255 characters.

    Never used to store anything (the service makes the stored name).
    """
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip().lstrip(".")
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: 254 - len(extension)]}.{extension}"
        else:
            name = name[:255]
    return name


def media_extension_disagrees(*, item: MediaItem) -> bool:
    """True when the uploader's name ends otherwise than the detected type's files do."""
    _, dot, extension = item.original_name.rpartition(".")
    usual = USUAL_EXTENSIONS.get(item.content_type, set())
    return bool(dot) and extension.lower() not in usual


def _stem(title: str, original_name: str) -> str:
    for text in (title, original_name.rpartition(".")[0] or original_name):
        stem = slugify(text)[:STEM_LENGTH].strip("-_")
        if stem:
            return stem
    return "file"


def _size_of(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    return int(size)


def _checked_size(file: Any) -> int:
    limit = settings.MEDIA_MAX_UPLOAD_MB
    size = _size_of(file)
    if size > limit * MEGABYTE:
        raise MediaRefused(
            _("The file is %(size).1f MB; the limit is %(limit)d MB (MEDIA_MAX_UPLOAD_MB).")
            % {"size": size / MEGABYTE, "limit": limit},
            code="too_large",
        )
    if size == 0:
        raise MediaRefused(_("The file is empty."), code="empty")
    return size


def _detected(file: Any) -> Format:
    file.seek(0)
    head = file.read(64)
    found = media_format_of(head)
    if found is not None:
        return found
    text = head.lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n").lower()
    if text.startswith(b"<"):
        raise MediaRefused(MARKUP_REFUSED, code="markup")
    raise MediaRefused(NOT_ACCEPTED, code="type")


def _pixels_refused(width: int, height: int, frames: int = 1) -> MediaRefused:
    said = {
        "width": width,
        "height": height,
        "frames": frames,
        "megapixels": round(width * height * frames / 1_000_000),
        "limit": MAX_IMAGE_PIXELS // 1_000_000,
    }
    if frames > 1:
        message = ngettext(
            "The image is %(width)d x %(height)d pixels in %(frames)d frame, %(megapixels)d "
            "megapixels; the limit is %(limit)d megapixels.",
            "The image is %(width)d x %(height)d pixels in %(frames)d frames, %(megapixels)d "
            "megapixels; the limit is %(limit)d megapixels.",
            frames,
        )
    else:
        message = _(
            "The image is %(width)d x %(height)d pixels, %(megapixels)d megapixels; the limit "
            "is %(limit)d megapixels."
        )
    return MediaRefused(message % said, code="too_many_pixels")


def _damaged(found: Format) -> MediaRefused:
    return MediaRefused(
        _(
            "The file starts as a %(format)s image but is damaged or incomplete (truncated), "
            "so it cannot be shown."
        )
        % {"format": found.label},
        code="damaged",
    )


def _reencoded(image: Image.Image, found: Format) -> tuple[bytes, int, int]:
    """The picture alone: orientation applied, no EXIF/XMP/comments, the colour profile kept.

    Returns the bytes and the pixel size as stored (turned by the orientation).
    """
    out = io.BytesIO()
    icc_profile = image.info.get("icc_profile")
    keep = {"transparency", "duration", "loop", "background", "disposal"}
    options: dict[str, Any] = {"format": found.pillow}
    if icc_profile and found is not GIF:
        options["icc_profile"] = icc_profile
    if getattr(image, "is_animated", False):
        # Frames as they are (GIF and WebP animations carry no orientation).
        options["save_all"] = True
        picture = image
    else:
        picture = ImageOps.exif_transpose(image)
        picture.info = {key: value for key, value in picture.info.items() if key in keep}
    if found is JPEG:
        options.update(quality=JPEG_QUALITY, optimize=True, exif=b"", comment=b"")
    elif found is WEBP:
        options.update(quality=WEBP_QUALITY, exif=b"", xmp=b"")
    elif found is GIF:
        options.update(comment=b"")
    picture.save(out, **options)
    return out.getvalue(), *picture.size


def _prepared_image(file: Any, found: Format) -> tuple[bytes, int, int]:
    """Open, verify, reopen and decode the image; its re-encoded bytes and pixel size.

    The size is checked from the header before anything is decoded. Pillow's
    own bomb check (``Image.MAX_IMAGE_PIXELS``, set to our limit above) warns
    past it and fails past twice it as the file is opened: the failure, or the
    warning where warnings are errors, is the same refusal. No warnings filter
    is changed here: they are process-wide, and uploads run in threads.
    """
    try:
        file.seek(0)
        with Image.open(file, formats=[found.pillow]) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _pixels_refused(width, height)
            frames = getattr(probe, "n_frames", 1)
            if width * height * frames > MAX_IMAGE_PIXELS:
                raise _pixels_refused(width, height, frames)
            probe.verify()
        # verify() leaves the image unusable: Pillow's advice is to open it again.
        file.seek(0)
        with Image.open(file, formats=[found.pillow]) as image:
            image.load()  # decodes every pixel: a truncated file fails here
            data, width, height = _reencoded(image, found)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRefused(
            _(
                "The image has more than %(found)d megapixels, far past the limit of "
                "%(limit)d megapixels."
            )
            % {"found": 2 * MAX_IMAGE_PIXELS // 1_000_000, "limit": MAX_IMAGE_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError):
        raise _damaged(found) from None
    return data, width, height


PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
PDF_TAIL = 2048


def _checked_pdf(file: Any, size: int) -> None:
    """A PDF's frame: a version header at byte 0 and, in its last bytes, the cross-reference
    pointer and end-of-file marker every reader starts from. No parsing of the rest: the
    file is only ever downloaded (served as an attachment), never rendered here."""
    file.seek(0)
    if not PDF_HEADER.match(file.read(16)):
        raise MediaRefused(_("The file starts like a PDF but has no PDF version."), code="damaged")
    file.seek(max(0, size - PDF_TAIL))
    tail = file.read(PDF_TAIL)
    if b"startxref" not in tail or b"%%EOF" not in tail:
        raise MediaRefused(
            _("The PDF is incomplete or damaged: it lacks the end-of-file section every PDF has."),
            code="damaged",
        )


def _checksum(file: Any) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(MEGABYTE), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _as_refusal(error: ValidationError) -> MediaRefused:
    field, messages = next(iter(error.message_dict.items()))
    return MediaRefused(messages[0], field="file" if field == "__all__" else field)


def _alt_text_check(item: MediaItem) -> None:
    if item.is_image and not item.alt_text.strip():
        raise MediaRefused(
            _(
                "Alt text is required for images: say what the image shows, for those who "
                "cannot see it."
            ),
            field="alt_text",
            code="alt_text",
        )


def media_upload(
    *, file: Any, title: str, by: Any, alt_text: str = "", caption: str = ""
) -> MediaItem:
    """Check, clean and store an uploaded file, record it, and make its renditions.

    ``file`` is an uploaded file (or any Django ``File``); it is read in
    chunks, never whole, except an image's decoded pixels, which the pixel
    limit bounds. Raises ``MediaRefused`` naming what was wrong and the limit.
    """
    size = _checked_size(file)
    found = _detected(file)
    original_name = media_clean_name(getattr(file, "name", "") or "")
    # Without a title, the name's stem stands in, cut to what a title holds.
    title_field = MediaItem._meta.get_field("title")
    title = (title or "").strip() or (original_name.rpartition(".")[0] or original_name)[
        : title_field.max_length
    ]
    item = MediaItem(
        key=uuid.uuid4(),
        kind=found.kind,
        title=title or "Untitled",
        alt_text=(alt_text or "").strip(),
        caption=caption or "",
        original_name=original_name,
        content_type=found.content_type,
        uploaded_by=by if by is not None and by.pk is not None else None,
    )
    _alt_text_check(item)

    if found.pillow is not None:
        data, item.width, item.height = _prepared_image(file, found)
        content: File = ContentFile(data)
        item.size = len(data)
        item.checksum = hashlib.sha256(data).hexdigest()
    else:
        _checked_pdf(file, size)
        item.size = size
        item.checksum = _checksum(file)
        content = File(file)
    # What an object store labels the object with (django-storages reads it),
    # instead of the type the browser claimed.
    content.content_type = found.content_type
    try:
        item.full_clean(exclude=["file"])
    except ValidationError as error:
        raise _as_refusal(error) from None

    folder = "images" if item.is_image else "documents"
    name = f"{folder}/{item.key.hex}/{_stem(item.title, original_name)}.{found.extension}"
    try:
        item.file.save(name, content, save=False)
    except MediaStoreUnavailable as error:  # our stores say which store, and what to do
        logger.warning("The media storage did not take %s: %s", name, error.messages[0])
        raise MediaRefused(error.messages[0], code="storage") from error
    except Exception as error:  # another storage: a full disk, an object store that is down...
        logger.exception("The media storage did not take %s", name)
        raise MediaRefused(
            _(
                "The media storage did not accept the file; nothing was stored. Try again "
                "later or tell the site's administrator."
            ),
            code="storage",
        ) from error
    try:
        with transaction.atomic():
            item.save()
            history_record(
                action=AuditEntry.Action.ADDED, actor=by, target=item, message="Uploaded."
            )
            renditions_make(item=item)
    except BaseException:
        _file_delete(item.file.storage, item.file.name)
        raise
    return item


MEDIA_FIELDS = frozenset({"title", "alt_text", "caption"})


@transaction.atomic
def media_update(*, item: MediaItem, by: Any, **fields: Any) -> MediaItem:
    """Change an item's title, alt text or caption (the file itself never changes).

    Recorded once, naming the fields; nothing changed, nothing written.
    """
    unknown = set(fields) - MEDIA_FIELDS
    if unknown:
        raise TypeError(f"media items have no editable field(s) {sorted(unknown)}")
    stored = MediaItem.objects.select_for_update().get(pk=item.pk)
    changed = model_changed_fields(instance=item, stored=stored, fields=fields)
    if not changed:
        return item
    for name in changed:
        setattr(item, name, fields[name])
    _alt_text_check(item)
    try:
        item.full_clean(exclude=["file"])
    except ValidationError as error:
        raise _as_refusal(error) from None
    item.save(update_fields={*changed, "updated_at"})
    history_record(
        action=AuditEntry.Action.CHANGED,
        actor=by,
        target=item,
        message=history_change_message(model=MediaItem, fields=changed),
    )
    return item


def media_in_use(*, items: Iterable[MediaItem]) -> dict[MediaItem, list[Any]]:
    """Each of ``items`` that articles use, with those articles."""
    used = {}
    for item in items:
        articles = list(media_usages(item=item)[:11])
        if articles:
            used[item] = articles
    return used


def _in_use_refusal(used: dict[MediaItem, list[Any]]) -> MediaInUse:
    said = []
    for item, articles in used.items():
        titles = [f"“{article}”" for article in articles[:10]]
        if len(articles) > 10:
            titles.append(_("others"))
        said.append(
            _("“%(item)s” is used by %(articles)s")
            % {"item": item, "articles": get_text_list(titles, _("and"))}
        )
    return MediaInUse(
        _("%(usages)s. Take it out of those articles first, then delete it.")
        % {"usages": "; ".join(said)},
        usages=used,
    )


def _file_delete(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # the row is what matters; a stray file is only space
        logger.exception("Could not delete the media file %s", name)


@transaction.atomic
def media_delete(*, item: MediaItem, by: Any) -> None:
    """Delete an item nothing uses, and its file once the deletion is committed.

    Raises ``MediaInUse`` naming the articles that use it.
    """
    medias_delete(items=[item], by=by)


@transaction.atomic
def medias_delete(*, items: Iterable[MediaItem], by: Any) -> int:
    """Delete several items (the admin's "delete selected"): all, or none if any is in use."""
    items = list(items)
    used = media_in_use(items=items)
    if used:
        raise _in_use_refusal(used)
    for item in items:
        storage, name = item.file.storage, item.file.name
        audited_delete(target=item, by=by)
        if name:
            transaction.on_commit(lambda storage=storage, name=name: _file_delete(storage, name))
    return len(items)
