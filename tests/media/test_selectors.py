"""media_item_from_url finds an item from any URL of it; the upload limit's variable is checked."""

from __future__ import annotations

import pytest

from apps.media.selectors import media_item_from_url
from apps.media.services import media_upload
from tests.conftest import run_manage

from .conftest import image_bytes, upload


@pytest.mark.django_db
def test_an_item_is_found_from_its_urls(media_root, editor):
    item = media_upload(file=upload("a.png", image_bytes()), title="A", alt_text="A", by=editor)
    key = item.key.hex

    for url in (
        item.file.url,
        f"https://cdn.example.com/bucket/images/{key}/a.png?X-Amz-Signature=abc",
        f"/filamenta/media/renditions/{key}/960.webp",
    ):
        assert media_item_from_url(url=url) == item, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["", "/media/images/not-a-key/a.png", "https://[bad/", f"/media/images/{'0' * 32}/a.png"],
)
def test_no_item_for_other_urls(url):
    assert media_item_from_url(url=url) is None


@pytest.mark.parametrize("value", ["0", "ten", "2048", "-1"])
def test_a_bad_upload_limit_stops_start_up_naming_it(clean_env, value):
    result = run_manage("check", env={**clean_env, "MEDIA_MAX_UPLOAD_MB": value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"MEDIA_MAX_UPLOAD_MB={value!r}" in result.stderr
