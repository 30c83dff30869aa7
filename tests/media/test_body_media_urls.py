"""Media in article bodies is shown at the storage's current URL, whatever storage wrote it.

A body keeps the URL the editor inserted (``/media/…`` on disk, a signed
bucket URL on a fleet); ``apps.media.body_urls`` resolves each URL naming one
of our stored files again when the body is shown, and the sanitiser stores it
in today's unsigned form. The S3 tests run against the real SeaweedFS
(tests/fixtures.py ``seaweed``) and fetch what the page gives.
"""

from __future__ import annotations

import http.client
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from apps.content.models import Article
from apps.content.services import article_create, article_update
from apps.media.body_urls import media_name_of, media_urls_current
from apps.media.models import MediaItem
from apps.media.services import media_upload
from filamenta.media_storage import S3_BACKEND, s3_from_url
from tests.media.conftest import MINIMAL_PDF, image_bytes, upload

pytestmark = [pytest.mark.database, pytest.mark.django_db]

S3_URL = re.compile(r'src="(http://127\.0\.0\.1:\d+/media/[^"]+)"')


def picture(editor, title: str = "Boxes", size: tuple[int, int] = (64, 48)) -> MediaItem:
    return media_upload(
        file=upload(f"{title}.png", image_bytes("PNG", size)),
        title=title,
        alt_text=title,
        by=editor,
    )


def figure(item: MediaItem) -> str:
    """What the editor inserts from the chooser: the URLs as the storage gave them then."""
    renditions = [r.file.url for r in item.renditions.order_by("width", "format")]
    srcset = ", ".join(
        f"{url} {w}w" for url, w in zip(renditions, range(100, 10000, 100), strict=False)
    )
    attributes = f' srcset="{srcset}"' if srcset else ""
    return f'<figure><img src="{item.file.url}"{attributes} alt="{item.alt_text}"></figure>'


def s3_storage_settings(seaweed, **options: str) -> dict:
    target = s3_from_url(seaweed.url("media", f"t{secrets.token_hex(3)}", **options))
    return {
        "STORAGES": {
            "default": {"BACKEND": S3_BACKEND, "OPTIONS": target.options()},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        "MEDIA_URL": target.media_url,
    }


def fetch(url: str) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def copy_to_bucket(items: list[MediaItem], disk_root) -> None:
    """What site_import does with the media: every stored name, same bytes, in the bucket."""
    for item in items:
        for name in [item.file.name, *(r.file.name for r in item.renditions.all())]:
            assert default_storage.save(name, ContentFile((disk_root / name).read_bytes())) == name


# -- render time ---------------------------------------------------------------------
def test_a_body_written_on_disk_shows_the_bucket_s_signed_url_after_a_move(
    client, editor, media_root, seaweed
):
    item = picture(editor, size=(600, 400))
    article = article_create(
        title="Moved", body=figure(item), status=Article.Status.PUBLISHED, author=editor, by=editor
    )
    assert f'src="/media/{item.file.name}"' in article.body

    with override_settings(**s3_storage_settings(seaweed)):
        copy_to_bucket([item], media_root)
        page = client.get(article.get_absolute_url()).content.decode()

        assert "/media/images/" not in page
        assert "/media/renditions/" not in page
        urls = [unescape(url) for url in S3_URL.findall(page)]
        srcset = re.search(r'<div class="body">.*?srcset="([^"]+)"', page, re.S).group(1)
        urls += [unescape(candidate.split()[0]) for candidate in srcset.split(", ")]
        assert len(urls) == 1 + item.renditions.count()
        for url in urls:
            assert "X-Amz-Signature=" in url
            answer = fetch(url)
            assert answer.status == 200
            name = media_name_of(url)
            assert answer.body == (media_root / name).read_bytes()
        # The descriptors and the rest of the tag are as they were.
        assert re.search(r"\?[^ ]+ 100w, ", srcset)
        assert 'alt="Boxes"' in page


def test_a_signed_url_in_a_stored_body_is_signed_again_when_shown(client, editor, seaweed):
    with override_settings(**s3_storage_settings(seaweed)):
        item = picture(editor)
        old = item.file.url.replace(
            parse_qs(urlsplit(item.file.url).query)["X-Amz-Date"][0], "20200101T000000Z"
        )
        article = article_create(
            title="Signed", body="<p>x</p>", status=Article.Status.PUBLISHED, by=editor
        )
        # As a body saved before this fix keeps it: the chooser's signed URL, long expired.
        Article.objects.filter(pk=article.pk).update(body=f'<p><img src="{old}" alt="x"></p>')
        assert fetch(old).status == 403

        page = client.get(article.get_absolute_url()).content.decode()
        url = unescape(S3_URL.search(page).group(1))
        date = parse_qs(urlsplit(url).query)["X-Amz-Date"][0]
        assert not date.startswith("2020")
        assert fetch(url).status == 200


def test_the_feed_and_the_editor_show_the_current_url(admin_client, editor, media_root, settings):
    item = picture(editor)
    body = f'<p><img src="/media/{item.file.name}" alt="x"></p>'
    article = article_create(title="Fed", body=body, status=Article.Status.PUBLISHED, by=editor)
    settings.MEDIA_URL = "https://cdn.example.org/m/"
    current = f"https://cdn.example.org/m/{item.file.name}"

    feed = admin_client.get("/feed/").content.decode()
    assert f'src="{current}"' in feed
    form = admin_client.get(f"/admin/content/article/{article.pk}/change/").content.decode()
    assert f"src=&quot;{current}&quot;" in form


def test_links_fragments_srcset_and_quoting_are_kept_around_the_new_url(editor, media_root):
    image = picture(editor, size=(600, 400))
    document = media_upload(file=upload("a.pdf", MINIMAL_PDF), title="Paper", by=editor)
    rendition = image.renditions.order_by("width").first()
    bucket = "https://s3.example.net/old-bucket/site"
    body = (
        f"<p><a href='{bucket}/{document.file.name}?X-Amz-Signature=ab&amp;X-Amz-Date=1#page=2'"
        f' title="doc">Paper</a>'
        f'<IMG alt=x SRC={bucket}/{image.file.name} srcset="{bucket}/{rendition.file.name} 240w,'
        f' https://elsewhere.example/a.png 2x"></p>'
    )

    assert media_urls_current(body) == (
        f'<p><a href="/media/{document.file.name}#page=2" title="doc">Paper</a>'
        f'<IMG alt=x SRC="/media/{image.file.name}" srcset="/media/{rendition.file.name} 240w,'
        f' https://elsewhere.example/a.png 2x"></p>'
    )


@pytest.mark.parametrize(
    "body",
    [
        "<p>No media at all, &amp; an entity, <b>markup</b>.</p>",
        '<p><img src="https://elsewhere.example/x.png" alt="x"></p>',
        # A real-looking key that no item has, and text that only mentions one.
        '<p><img src="/media/images/0123456789abcdef0123456789abcdef/x.png"></p>',
        "<p>/media/images/0123456789abcdef0123456789abcdef/x.png</p>",
    ],
)
def test_a_body_without_our_media_is_returned_byte_for_byte(body):
    assert media_urls_current(body) == body


def test_a_real_key_with_a_name_we_never_stored_is_left_alone(editor, media_root):
    item = picture(editor)
    body = f'<img src="https://elsewhere.example/images/{item.key.hex}/other.png" alt="x">'
    assert media_urls_current(body) == body


def test_one_query_for_a_body_however_many_images_it_has(
    editor, media_root, django_assert_num_queries
):
    items = [picture(editor, title=f"p{n}") for n in range(20)]
    one, many = figure(items[0]), "".join(figure(item) for item in items)

    for body in (one, many):
        with django_assert_num_queries(1):
            shown = media_urls_current(body.replace("/media/", "https://old.example/media/"))
        assert shown == body


# -- save time -----------------------------------------------------------------------
def test_on_a_fleet_a_moved_media_image_is_kept_and_a_foreign_one_removed(editor, seaweed):
    with override_settings(**s3_storage_settings(seaweed)):
        item = picture(editor)
        base = s3_from_url(seaweed.url("media")).media_url.rstrip("/")
        body = (
            f'<p><img src="/media/{item.file.name}" alt="moved"></p>'
            f'<p><img src="/filamenta/media/{item.file.name}" alt="sub-path"></p>'
            f'<p><img src="{item.file.url}" alt="signed"></p>'
            '<p><img src="https://elsewhere.example/x.png" alt="foreign"></p>'
            f'<p><img src="https://elsewhere.example/images/{item.key.hex}/x.png" alt="made up">'
            "</p>"
            '<p><img src="/media/images/0123456789abcdef0123456789abcdef/x.png" alt="no item">'
            "</p>"
            # Another host's URL of our own file is rewritten to ours: it never loads from there.
            f'<p><img src="https://elsewhere.example/{item.file.name}" alt="copied"></p>'
        )
        article = article_create(title="Fleet", body=body, by=editor)

        unsigned = item.file.url.split("?", 1)[0]
        assert unsigned.startswith(base)
        assert article.body == (
            f'<p><img src="{unsigned}" alt="moved"></p>'
            f'<p><img src="{unsigned}" alt="sub-path"></p>'
            f'<p><img src="{unsigned}" alt="signed"></p>'
            "<p></p><p></p><p></p>"
            f'<p><img src="{unsigned}" alt="copied"></p>'
        )
        assert "X-Amz-" not in article.body
        assert list(article.media_links.values_list("media_id", flat=True)) == [item.pk]


def test_a_disk_site_keeps_a_bucket_url_of_its_own_file_as_a_media_url(editor, media_root):
    item = picture(editor)
    bucket = f"https://s3.example.net/bucket/site/{item.file.name}?X-Amz-Signature=00"
    article = article_create(title="Back", body=f'<img src="{bucket}" alt="x">', by=editor)
    assert article.body == f'<img src="/media/{item.file.name}" alt="x">'

    article_update(article=article, by=editor, body=article.body)
    assert Article.objects.get(pk=article.pk).body == article.body
