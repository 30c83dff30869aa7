"""Renditions: made once at upload, never upscaled, valid WebP, and rendered from rows alone."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from PIL import Image

from apps.media.models import MediaItem, Rendition
from apps.media.renditions import renditions_make
from apps.media.services import media_delete, media_upload

from .conftest import image_bytes, upload

pytestmark = pytest.mark.django_db


def photo(by, *, size=(2000, 1500), fmt="JPEG", title="A photo", **save):
    return media_upload(
        file=upload(f"photo.{fmt.lower()}", image_bytes(fmt, size, **save)),
        title=title,
        alt_text="A red field under a red sky",
        by=by,
    )


def made(item: MediaItem) -> set[tuple[int, str]]:
    return set(item.renditions.values_list("width", "format"))


def test_an_upload_makes_every_width_in_webp_and_its_own_format(media_root, editor):
    item = photo(editor)

    assert made(item) == {(w, f) for w in (240, 480, 960, 1600) for f in ("webp", "jpeg")}
    for rendition in item.renditions.all():
        assert f"/{item.key.hex}/" in f"/{rendition.file.name}"
        stored = media_root / rendition.file.name
        assert stored.stat().st_size == rendition.size
        with Image.open(stored) as image:
            image.verify()
        with Image.open(stored) as image:
            assert image.format == {"webp": "WEBP", "jpeg": "JPEG"}[rendition.format]
            assert image.size == (rendition.width, rendition.height)
        # The proportions of the original (2000 x 1500).
        assert rendition.height == round(rendition.width * 3 / 4)


def test_a_second_call_makes_nothing_new(media_root, editor):
    item = photo(editor)
    before = sorted(p.name for p in media_root.rglob("*") if p.is_file())
    rows = list(item.renditions.values_list("pk", flat=True))

    renditions_make(item=item)

    assert sorted(p.name for p in media_root.rglob("*") if p.is_file()) == before
    assert list(item.renditions.values_list("pk", flat=True)) == rows


def test_a_missing_rendition_is_made_again_alone(media_root, editor):
    item = photo(editor)
    item.renditions.filter(width=480, format="webp").delete()

    renditions_make(item=item)

    assert (480, "webp") in made(item)
    assert item.renditions.count() == 8


def test_no_rendition_is_wider_than_the_original(media_root, editor):
    item = photo(editor, size=(900, 600))

    assert made(item) == {(240, "webp"), (240, "jpeg"), (480, "webp"), (480, "jpeg")}


def test_an_image_as_wide_as_a_width_gets_no_copy_of_its_own_size(media_root, editor):
    item = photo(editor, size=(480, 320), fmt="PNG")

    assert made(item) == {(240, "webp"), (240, "png")}


def test_a_small_image_has_no_renditions_and_renders_its_original(media_root, editor):
    item = photo(editor, size=(200, 100), fmt="PNG")

    assert made(item) == set()
    html = Template("{% load media %}{% responsive_image item %}").render(Context({"item": item}))
    assert "<source" not in html
    assert f'src="{item.file.url}"' in html
    assert 'width="200" height="100"' in html
    assert item.thumbnail_url() == item.file.url


def test_a_webp_original_gets_webp_copies_only(media_root, editor):
    item = photo(editor, size=(1000, 500), fmt="WEBP")

    assert made(item) == {(240, "webp"), (480, "webp"), (960, "webp")}


def test_a_gif_keeps_its_original_and_gets_only_a_thumbnail(media_root, editor):
    frames = [Image.new("P", (600, 400), n) for n in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    item = media_upload(
        file=upload("moving.gif", out.getvalue()), title="Moving", alt_text="Moving", by=editor
    )

    assert made(item) == {(240, "webp")}
    html = Template("{% load media %}{% responsive_image item %}").render(Context({"item": item}))
    # The animation as uploaded on pages, its still thumbnail in the admin only.
    assert "<source" not in html
    assert "240w" not in html
    assert f'src="{item.file.url}"' in html
    assert item.thumbnail_url() == item.renditions.get().file.url


def test_a_transparent_png_stays_transparent_in_webp(media_root, editor):
    out = io.BytesIO()
    Image.new("RGBA", (800, 600), (200, 30, 30, 0)).save(out, "PNG")
    item = media_upload(
        file=upload("clear.png", out.getvalue()), title="Clear", alt_text="Nothing", by=editor
    )

    webp = item.renditions.get(width=480, format="webp")
    with Image.open(media_root / webp.file.name) as image:
        assert image.mode == "RGBA"


def test_the_admin_thumbnail_is_the_240_px_webp(media_root, editor):
    item = photo(editor)

    thumbnail = item.renditions.get(width=240, format="webp")
    assert item.thumbnail_url() == thumbnail.file.url


def test_responsive_image_lists_the_renditions_without_a_query(media_root, editor):
    item = photo(editor)
    item = MediaItem.objects.prefetch_related("renditions").get(pk=item.pk)
    template = Template(
        '{% load media %}{% responsive_image item sizes="(max-width: 46rem) 100vw, 44rem" %}'
    )

    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"item": item}))

    assert len(queries) == 0
    by = {(r.width, r.format): r.file.url for r in item.renditions.all()}
    source = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="([^"]+)">', html)
    assert source is not None
    assert source[1] == ", ".join(f"{by[(w, 'webp')]} {w}w" for w in (240, 480, 960, 1600))
    assert source[2] == "(max-width: 46rem) 100vw, 44rem"
    img = re.search(r"<img [^>]+>", html)[0]
    expected = [f"{by[(w, 'jpeg')]} {w}w" for w in (240, 480, 960, 1600)]
    expected.append(f"{item.file.url} 2000w")
    assert f'srcset="{", ".join(expected)}"' in img
    assert f'src="{by[(960, "jpeg")]}"' in img
    assert 'sizes="(max-width: 46rem) 100vw, 44rem"' in img
    assert 'width="2000" height="1500"' in img
    assert 'loading="lazy"' in img
    assert 'alt="A red field under a red sky"' in img
    assert "style" not in html


def test_the_alt_text_is_escaped(media_root, editor):
    item = photo(editor)
    MediaItem.objects.filter(pk=item.pk).update(alt_text='A "quoted" <b>tag</b>')
    item.refresh_from_db()

    html = Template("{% load media %}{% responsive_image item %}").render(Context({"item": item}))

    assert 'alt="A &quot;quoted&quot; &lt;b&gt;tag&lt;/b&gt;"' in html


def test_deleting_an_item_deletes_its_rendition_files(
    media_root, editor, django_capture_on_commit_callbacks
):
    item = photo(editor)
    names = list(item.renditions.values_list("file", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        media_delete(item=item, by=editor)

    assert not Rendition.objects.exists()
    assert not any((media_root / name).exists() for name in names)
