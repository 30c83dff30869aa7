"""The media library in the admin: thumbnails, search, filters, who sees what, changes, deletion."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.media.models import MediaItem
from apps.media.selectors import media_list_visible
from apps.media.services import media_upload
from apps.siteadmin.models import AuditEntry

from .conftest import MINIMAL_PDF, files_under, image_bytes, upload

pytestmark = [pytest.mark.database, pytest.mark.django_db]

LIST_URL = "/admin/media/mediaitem/"


def an_image(by, title="Red square", name="square.png", size=(300, 100)):
    return media_upload(
        file=upload(name, image_bytes("PNG", size)), title=title, alt_text=f"{title} alt", by=by
    )


def a_document(by, title="Annual report"):
    return media_upload(file=upload("report-2024.pdf", MINIMAL_PDF), title=title, by=by)


def test_an_editor_uploads_through_the_add_form(client, media_root, editor):
    client.force_login(editor)

    response = client.post(
        "/admin/media/mediaitem/add/",
        {"upload": upload("cat.png", image_bytes("PNG")), "title": "", "alt_text": "A cat"},
    )

    assert response.status_code == 302
    item = MediaItem.objects.get()
    assert (item.title, item.alt_text, item.uploaded_by) == ("cat", "A cat", editor)
    assert files_under(media_root) == {item.file.name}
    # Recorded once, by the service (the admin's own logging is off for it).
    assert AuditEntry.objects.filter(object_id=str(item.pk)).count() == 1


def test_the_list_shows_thumbnails_by_class_never_by_style(client, media_root, editor):
    image = an_image(editor)
    a_document(editor)
    client.force_login(editor)

    page = client.get(LIST_URL).content.decode()

    thumbnail = re.search(r'<img src="([^"]+)"[^>]*class="media-library-thumbnail"', page)
    assert thumbnail is not None
    assert thumbnail.group(1) == image.thumbnail_url()
    assert 'width="120" height="40"' in page  # 300 x 100 fitted into 120 x 80
    assert "media_library/admin.css" in page
    assert "style=" not in page
    assert "<style" not in page
    assert "Annual report" in page


def test_search_finds_title_alt_text_and_original_name(client, media_root, editor):
    an_image(editor, title="Lighthouse", name="DSC_0042.png")
    an_image(editor, title="Harbour")
    client.force_login(editor)

    for term in ("lighthouse", "Lighthouse alt", "DSC_0042"):
        page = client.get(LIST_URL, {"q": term}).content.decode()
        assert "Lighthouse" in page, term
        assert "Harbour" not in page, term


def test_filters_by_kind_uploader_and_date(client, media_root, editor, author):
    an_image(editor, title="Editor picture")
    a_document(author, title="Author document")
    client.force_login(editor)

    documents = client.get(LIST_URL, {"kind__exact": "document"}).content.decode()
    by_author = client.get(LIST_URL, {"uploaded_by__id__exact": author.pk}).content.decode()
    this_year = client.get(
        LIST_URL, {"created_at__year": MediaItem.objects.first().created_at.year}
    )

    assert "Author document" in documents
    assert "Editor picture" not in documents
    assert "Author document" in by_author
    assert "Editor picture" not in by_author
    assert this_year.status_code == 200


def test_authors_see_and_change_only_their_own(client, media_root, editor, author):
    mine = an_image(author, title="Mine")
    theirs = an_image(editor, title="Theirs")
    client.force_login(author)

    listing = client.get(LIST_URL).content.decode()

    assert "Mine" in listing
    assert "Theirs" not in listing
    assert client.get(f"{LIST_URL}{theirs.pk}/change/").status_code == 302
    assert client.get(f"{LIST_URL}{mine.pk}/change/").status_code == 200
    assert list(media_list_visible(user=author)) == [mine]
    assert set(media_list_visible(user=editor)) == {mine, theirs}


def test_authors_cannot_delete_editors_can(client, media_root, editor, author):
    item = an_image(author)
    client.force_login(author)

    assert client.get(f"{LIST_URL}{item.pk}/delete/").status_code == 403
    assert "delete_selected" not in client.get(LIST_URL).content.decode()

    client.force_login(editor)
    response = client.post(f"{LIST_URL}{item.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not MediaItem.objects.exists()


def test_people_without_a_role_see_nothing(make_user, media_root, editor):
    an_image(editor)
    reader = make_user("reader", role="reader")
    staff_without_role = make_user("staff", is_staff=True)

    assert not media_list_visible(user=reader).exists()
    assert not media_list_visible(user=staff_without_role).exists()


def test_deleting_removes_the_file_once_committed(
    client, media_root, editor, django_capture_on_commit_callbacks
):
    first, second = an_image(editor, title="One"), an_image(editor, title="Two")
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            LIST_URL,
            {"action": "delete_selected", ACTION_CHECKBOX_NAME: [first.pk, second.pk],
             "post": "yes"},
        )  # fmt: skip

    assert response.status_code == 302
    assert not MediaItem.objects.exists()
    assert files_under(media_root) == set()
    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.DELETED)
    assert deleted.count() == 2


def test_the_change_page_shows_the_picture_and_where_it_is_used(client, media_root, editor):
    item = an_image(editor)
    client.force_login(editor)

    page = client.get(f"{LIST_URL}{item.pk}/change/").content.decode()

    assert 'class="media-library-preview"' in page
    assert f'alt="{item.alt_text}"' in page
    assert "No article uses it." in page
    assert item.checksum in page
    assert "style=" not in page


def test_changing_the_alt_text_goes_through_the_service(client, media_root, editor):
    item = an_image(editor)
    client.force_login(editor)
    form = {"title": item.title, "alt_text": "A better description", "caption": "Seen at dawn"}

    response = client.post(f"{LIST_URL}{item.pk}/change/", form)

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.alt_text, item.caption) == ("A better description", "Seen at dawn")
    change = AuditEntry.objects.get(action=AuditEntry.Action.CHANGED)
    assert change.message == "Changed Alt text and Caption."


def test_an_image_cannot_lose_its_alt_text(client, media_root, editor):
    item = an_image(editor)
    client.force_login(editor)

    response = client.post(
        f"{LIST_URL}{item.pk}/change/", {"title": item.title, "alt_text": "  ", "caption": ""}
    )

    assert response.status_code == 200
    assert "alt_text" in response.context["adminform"].form.errors
    item.refresh_from_db()
    assert item.alt_text == "Red square alt"


def test_a_document_needs_no_alt_text(client, media_root, editor):
    document = a_document(editor)
    client.force_login(editor)

    response = client.post(
        f"{LIST_URL}{document.pk}/change/", {"title": "Renamed", "alt_text": "", "caption": ""}
    )

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Renamed"
