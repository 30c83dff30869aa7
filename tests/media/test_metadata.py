"""Stored images carry the picture only: no EXIF (GPS above all), the orientation applied."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image

from apps.media.services import media_upload

from .conftest import upload

pytestmark = pytest.mark.django_db

GPS_IFD = ExifTags.IFD.GPSInfo


def jpeg_with_gps(size=(60, 40), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    out = io.BytesIO()
    picture = Image.new("RGB", size, (10, 120, 200))
    picture.paste((250, 250, 0), (0, 0, 10, 10))  # a yellow corner, top left as stored
    picture.save(out, "JPEG", exif=exif, quality=95)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as written:  # the sample really has a position
        assert written.getexif().get_ifd(GPS_IFD)[ExifTags.GPS.GPSLatitudeRef] == "N"
    return data


def test_gps_and_camera_are_gone_from_the_stored_jpeg(media_root, editor):
    item = media_upload(
        file=upload("holiday.jpg", jpeg_with_gps()), title="Holiday", alt_text="Sea", by=editor
    )

    stored = (media_root / item.file.name).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD)
        assert ExifTags.Base.Make not in exif
    assert b"Exif" not in stored
    assert b"TestCam" not in stored


def test_the_orientation_is_applied_to_the_pixels(media_root, editor):
    """Orientation 6: the camera was turned; stored upright, as wide as the raw is tall."""
    item = media_upload(
        file=upload("turned.jpg", jpeg_with_gps((60, 40), orientation=6)),
        title="Turned",
        alt_text="x",
        by=editor,
    )

    assert (item.width, item.height) == (40, 60)
    with Image.open(media_root / item.file.name) as image:
        assert image.size == (40, 60)
        assert ExifTags.Base.Orientation not in image.getexif()
        # Rotated 90° clockwise, the top-left corner is now the top right.
        red, green, blue = image.convert("RGB").getpixel((36, 3))
        assert red > 200
        assert green > 200
        assert blue < 80


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_is_dropped_from_png_and_webp(media_root, editor, fmt):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    exif.get_ifd(GPS_IFD)[ExifTags.GPS.GPSLatitudeRef] = "N"
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(out, fmt, exif=exif)
    assert b"TestCam" in out.getvalue()

    item = media_upload(
        file=upload(f"x.{fmt.lower()}", out.getvalue()), title="x", alt_text="x", by=editor
    )

    stored = (media_root / item.file.name).read_bytes()
    assert b"TestCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif()


def test_an_animated_gif_keeps_its_frames(media_root, editor):
    frames = [
        Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    ]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0,
                   comment=b"where: 48.85N 2.29E")  # fmt: skip

    item = media_upload(file=upload("a.gif", out.getvalue()), title="x", alt_text="x", by=editor)

    stored = (media_root / item.file.name).read_bytes()
    assert b"48.85N" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.n_frames == 3
