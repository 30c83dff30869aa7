"""Each of the issue's bad inputs is refused (or stored as what it is) with a message, never a 500.

Every case runs twice: through ``media_upload`` (code, scripts) and through the
admin's add form, where the refusal must be a form error (status 200) naming
the limit. Nothing may be written anywhere but the media storage: each test
looks at the whole folder around MEDIA_ROOT, the upload temporary folder too.
"""

from __future__ import annotations

import io

import pytest
from django.core.files import File
from PIL import Image

from apps.media.models import MediaItem
from apps.media.services import MediaRefused, media_upload

from .conftest import (
    MINIMAL_PDF,
    decompression_bomb_png,
    files_under,
    image_bytes,
    multipart,
    upload,
)

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/media/mediaitem/add/"
MB = 1024 * 1024

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def noisy_jpeg(size=(400, 300)) -> bytes:
    out = io.BytesIO()
    Image.effect_noise(size, 80).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = noisy_jpeg()
    return data[: len(data) // 2]


# name, bytes, what the message must say
REFUSED = {
    "30 MB": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (30 * MB), "10 MB"),
    "html renamed jpg": ("page.jpg", HTML_PAGE, "SVG, HTML"),
    "svg with script": ("drawing.svg", SVG_WITH_SCRIPT, "SVG, HTML"),
    "svg named png": ("drawing.png", SVG_WITH_SCRIPT, "SVG, HTML"),
    "decompression bomb": ("bomb.png", decompression_bomb_png(20000, 20000), "50 megapixels"),
    "past the limit, under twice it": (
        "big-picture.png",
        decompression_bomb_png(8000, 8000),
        "50 megapixels",
    ),
    "truncated jpeg": ("cut.jpg", truncated_jpeg(), "damaged or incomplete"),
    "a program": ("tool.exe", b"MZ\x90\x00" + b"\x00" * 100, "JPEG, PNG, WebP and GIF"),
    "pdf without its end": ("cut.pdf", MINIMAL_PDF[:60], "incomplete or damaged"),
    "empty": ("empty.png", b"", "empty"),
}


@pytest.fixture
def watched(media_root):
    """The folder holding MEDIA_ROOT and the upload temporary folder, empty to begin with."""
    folder = media_root.parent
    assert files_under(folder) == set()
    return folder


@pytest.mark.parametrize("case", REFUSED)
def test_the_service_refuses(watched, editor, case):
    name, data, said = REFUSED[case]

    with pytest.raises(MediaRefused) as refusal:
        media_upload(file=upload(name, data), title="Bad", alt_text="Bad", by=editor)

    assert said in " ".join(refusal.value.messages)
    assert not MediaItem.objects.exists()
    assert files_under(watched) == set()


@pytest.mark.parametrize("case", REFUSED)
def test_the_admin_form_refuses_with_a_form_error(client, watched, editor, case):
    name, data, said = REFUSED[case]
    client.force_login(editor)

    response = client.post(
        ADD_URL, {"upload": upload(name, data), "title": "Bad", "alt_text": "Bad", "caption": ""}
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert said in " ".join(errors["upload"]), errors
    assert not MediaItem.objects.exists()
    assert files_under(watched) == set()


def test_a_30_mb_upload_is_dropped_as_it_arrives(client, watched, editor, settings):
    """Skipped by the first upload handler: the form says so, and no handler kept the file."""
    client.force_login(editor)

    response = client.post(
        ADD_URL, {"upload": upload("big.png", b"\x00" * (30 * MB)), "alt_text": "x", "title": ""}
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "larger than the limit of 10 MB (MEDIA_MAX_UPLOAD_MB)" in " ".join(form.errors["upload"])
    assert "upload" not in response.wsgi_request.FILES
    assert files_under(watched) == set()


def test_the_limit_follows_the_setting(client, media_root, editor, settings):
    settings.MEDIA_MAX_UPLOAD_MB = 1
    data = image_bytes("PNG", (8, 8)) + b"\x00" * (2 * MB)  # bytes after IEND: still a PNG
    client.force_login(editor)

    response = client.post(ADD_URL, {"upload": upload("a.png", data), "alt_text": "x"})

    assert "1 MB" in " ".join(response.context["adminform"].form.errors["upload"])


def test_a_png_named_pdf_is_stored_as_the_png_it_is(client, watched, editor):
    """The content decides: a PNG called report.pdf is an image, named .png, and the admin
    says so; as an image, it needs alt text like any other."""
    client.force_login(editor)
    data = image_bytes("PNG", (32, 32))

    without_alt = client.post(ADD_URL, {"upload": upload("report.pdf", data), "title": "Report"})
    assert without_alt.status_code == 200
    assert "Alt text is required" in " ".join(
        without_alt.context["adminform"].form.errors["alt_text"]
    )

    response = client.post(
        ADD_URL,
        {"upload": upload("report.pdf", data), "title": "Report", "alt_text": "A chart"},
        follow=True,
    )

    item = MediaItem.objects.get()
    assert (item.kind, item.content_type) == (MediaItem.Kind.IMAGE, "image/png")
    assert item.file.name.endswith("/report.png")
    assert item.original_name == "report.pdf"
    shown = [str(message) for message in response.context["messages"]]
    assert any("its content is image/png" in message for message in shown), shown
    assert files_under(watched) == {f"media/{item.file.name}"}


def test_the_service_stores_a_png_named_pdf_as_png(media_root, editor):
    item = media_upload(
        file=upload("report.pdf", image_bytes("PNG")), title="", alt_text="A chart", by=editor
    )

    assert item.content_type == "image/png"
    assert item.file.name == f"images/{item.key.hex}/report.png"


NASTY_NAME = "../" * 20 + "..\\..\\" + "\x00" + "é" * 100 + "x" * 200 + ".png"


def test_a_300_character_name_with_dots_and_nul_is_cleaned(watched, editor):
    assert len(NASTY_NAME) > 300
    item = media_upload(
        file=File(io.BytesIO(image_bytes("PNG")), name=NASTY_NAME),
        title="",
        alt_text="A square",
        by=editor,
    )

    assert "\x00" not in item.original_name
    assert "/" not in item.original_name
    assert "\\" not in item.original_name
    assert len(item.original_name) <= 255
    assert item.original_name.endswith(".png")
    stem = item.file.name.rsplit("/", 1)[1]
    assert item.file.name == f"images/{item.key.hex}/{stem}"
    assert stem.isascii()
    assert len(stem) <= 64
    assert ".." not in stem
    assert files_under(watched) == {f"media/{item.file.name}"}


def test_the_admin_cleans_a_300_character_name_sent_as_is(client, watched, editor):
    body, content_type = multipart(
        {"title": "", "alt_text": "A square", "caption": ""},
        file_field="upload",
        file_name="../../../../../../etc/" + "\x00" + "y" * 300 + ".png",
        data=image_bytes("PNG"),
    )
    client.force_login(editor)

    response = client.post(ADD_URL, body, content_type=content_type)

    assert response.status_code == 302, response.context["adminform"].form.errors
    item = MediaItem.objects.get()
    assert "\x00" not in item.original_name
    assert "/" not in item.original_name
    assert item.file.name.startswith(f"images/{item.key.hex}/")
    assert files_under(watched) == {f"media/{item.file.name}"}


def test_a_title_of_dots_gives_a_plain_stored_name(media_root, editor):
    item = media_upload(
        file=upload("x.png", image_bytes("PNG")), title="../../..", alt_text="x", by=editor
    )

    assert item.file.name == f"images/{item.key.hex}/x.png"
