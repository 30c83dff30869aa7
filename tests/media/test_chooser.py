"""The editor's chooser (GET /admin/media/chooser/): JSON of what one may use, in the admin."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from apps.media.services import media_upload

from .conftest import MINIMAL_PDF, image_bytes, upload

pytestmark = pytest.mark.django_db
CHOOSER = "/admin/media/chooser/"


@pytest.fixture
def library(media_root, editor, author):
    return {
        "lamp": media_upload(
            file=upload("lamp.png", image_bytes()),
            title="Harbour lamp",
            alt_text="A lamp",
            by=editor,
        ),
        "boat": media_upload(
            file=upload("boat.png", image_bytes()), title="Boat", alt_text="A red boat", by=author
        ),
        "timetable": media_upload(
            file=upload("t.pdf", MINIMAL_PDF, "application/pdf"), title="Timetable", by=editor
        ),
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(entry["title"] for entry in response.json()["results"])


def test_the_address_is_the_admin_s_own():
    assert reverse("admin_media_chooser") == CHOOSER


def test_signed_out_it_sends_to_the_admin_sign_in(client, library):
    response = client.get(CHOOSER, {"kind": "image"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_someone_who_is_not_staff_is_sent_to_sign_in(client, make_user, library):
    client.force_login(make_user("reader"))

    assert client.get(CHOOSER)["Location"].startswith("/admin/login/")


def test_an_editor_gets_every_image_with_what_the_editor_inserts(client, editor, library):
    client.force_login(editor)

    response = client.get(CHOOSER, {"kind": "image"})

    assert titles(response) == ["Boat", "Harbour lamp"]
    lamp = next(e for e in response.json()["results"] if e["title"] == "Harbour lamp")
    item = library["lamp"]
    assert lamp == {
        "id": item.pk,
        "title": "Harbour lamp",
        "alt_text": "A lamp",
        "kind": "image",
        "url": item.file.url,
        "thumbnail_url": item.file.url,
        "width": 64,
        "height": 48,
        "srcset": "",
        "sizes": "(max-width: 960px) 100vw, 960px",
    }
    assert lamp["url"].startswith("/media/images/")


def test_an_author_sees_only_what_they_uploaded(client, author, library):
    client.force_login(author)

    assert titles(client.get(CHOOSER, {"kind": "image"})) == ["Boat"]
    assert titles(client.get(CHOOSER, {"kind": "document"})) == []


def test_documents_and_search(client, editor, library):
    client.force_login(editor)

    assert titles(client.get(CHOOSER, {"kind": "document"})) == ["Timetable"]
    assert titles(client.get(CHOOSER, {"kind": "image", "q": "red"})) == ["Boat"]
    assert titles(client.get(CHOOSER, {"q": "harbour LAMP"})) == ["Harbour lamp"]
    assert titles(client.get(CHOOSER, {"q": "nothing like it"})) == []


@pytest.mark.parametrize("query", [{"kind": "video"}, {"kind": "image'--"}])
def test_an_unknown_kind_is_a_400(client, editor, library, query):
    client.force_login(editor)

    response = client.get(CHOOSER, query)

    assert response.status_code == 400
    assert "image" in response.json()["error"]


@pytest.mark.parametrize("q", ["a\x00b", "%" * 500, "_", "' OR 1=1 --"])
def test_odd_searches_answer_never_a_500(client, editor, library, q):
    client.force_login(editor)

    assert client.get(CHOOSER, {"q": q}).status_code == 200


def test_only_get(client, editor, library):
    client.force_login(editor)

    assert client.post(CHOOSER).status_code == 405


@override_settings(FORCE_SCRIPT_NAME="/filamenta")
def test_the_article_form_gives_the_editor_the_chooser_under_the_sub_path(client, editor):
    client.force_login(editor)
    set_script_prefix("/filamenta/")
    try:
        page = client.get("/admin/content/article/add/").content.decode()
    finally:
        clear_script_prefix()

    assert 'data-media-chooser="/filamenta/admin/media/chooser/"' in page
    assert "<trix-editor" in page
    assert 'name="trix-csp-nonce"' in page
    assert "vendor/trix/trix.js" in page
    assert "content/editor.js" in page


def test_a_wide_image_comes_with_the_renditions_the_public_pages_use(client, editor, media_root):
    """The editor inserts the 960 px rendition as src and every size in srcset."""
    wide = media_upload(
        file=upload("quay.jpg", image_bytes("JPEG", (1000, 500))),
        title="Quay",
        alt_text="The quay at dusk",
        by=editor,
    )
    client.force_login(editor)

    (entry,) = client.get(CHOOSER, {"kind": "image", "q": "Quay"}).json()["results"]

    renditions = {r.width: r.file.url for r in wide.renditions.filter(format="jpeg")}
    assert sorted(renditions) == [240, 480, 960]
    assert entry["url"] == renditions[960]
    assert entry["srcset"] == ", ".join(
        [*(f"{renditions[w]} {w}w" for w in (240, 480, 960)), f"{wide.file.url} 1000w"]
    )
