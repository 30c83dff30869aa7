"""A media storage that cannot take the file is a clear refusal, not a 500, and stores no row."""

from __future__ import annotations

import pytest

from apps.media.models import MediaItem
from apps.media.services import MediaRefused, media_upload

from .conftest import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_storage(settings, tmp_path):
    """MEDIA_ROOT where a plain file stands: no folder can be made in it (a real OSError)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.MEDIA_ROOT = str(blocker)
    return blocker


def test_the_service_says_the_storage_refused(broken_storage, editor):
    with pytest.raises(MediaRefused) as refusal:
        media_upload(file=upload("a.png", image_bytes()), title="A", alt_text="A", by=editor)

    # Which store, and what to do: the storage's own words (filamenta/media_storage.py).
    assert f"(MEDIA_ROOT={broken_storage}) did not take the file" in refusal.value.messages[0]
    assert not MediaItem.objects.exists()


def test_the_admin_shows_it_on_the_form(client, broken_storage, editor):
    client.force_login(editor)

    response = client.post(
        "/admin/media/mediaitem/add/",
        {"upload": upload("a.png", image_bytes()), "title": "A", "alt_text": "A"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["upload"]
    assert f"(MEDIA_ROOT={broken_storage}) did not take the file" in " ".join(errors)
