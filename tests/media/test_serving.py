"""Development serving of MEDIA_URL: DEBUG only, nosniff always, documents as downloads."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.media.services import media_upload

from .conftest import MINIMAL_PDF, image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(media_root, editor):
    image = media_upload(file=upload("a.png", image_bytes()), title="A", alt_text="A", by=editor)
    document = media_upload(file=upload("r.pdf", MINIMAL_PDF), title="R", by=editor)
    return image, document


def test_images_are_served_inline_with_nosniff(client, settings, stored):
    settings.DEBUG = True
    image, _ = stored

    response = client.get(image.file.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert b"".join(response.streaming_content) == image.file.open("rb").read()


def test_documents_are_downloads(client, settings, stored):
    settings.DEBUG = True
    _, document = stored

    response = client.get(document.file.url)

    assert response.status_code == 200
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anything_else_under_media_root_is_a_download(client, settings, media_root):
    settings.DEBUG = True
    (media_root / "page.html").write_text("<script>alert(1)</script>")

    response = client.get("/media/page.html")

    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_nothing_is_served_without_debug(client, stored):
    image, _ = stored

    assert client.get(image.file.url).status_code == 404


@pytest.mark.parametrize("path", ["/media/../db.sqlite3", "/media/%2e%2e/%2e%2e/etc/passwd"])
def test_no_path_leads_out_of_media_root(settings, media_root, path):
    settings.DEBUG = True
    (media_root.parent / "db.sqlite3").write_text("secret")

    # Django's answer to a path outside the root is a 400 ("suspicious"), logged.
    response = Client(raise_request_exception=False).get(path)

    assert response.status_code in (400, 404)
    assert b"secret" not in response.getvalue()
