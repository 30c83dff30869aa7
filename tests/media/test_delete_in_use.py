"""An item that an article uses cannot be deleted, and the refusal says where it is used."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.content.services import article_create
from apps.media.models import MediaItem
from apps.media.services import MediaInUse, media_delete, media_upload

from .conftest import image_bytes, upload

pytestmark = [pytest.mark.database, pytest.mark.django_db]

LIST_URL = "/admin/media/mediaitem/"


@pytest.fixture
def used(media_root, editor):
    featured = media_upload(
        file=upload("f.png", image_bytes()), title="Cover", alt_text="c", by=editor
    )
    inline = media_upload(
        file=upload("i.png", image_bytes()), title="Figure", alt_text="f", by=editor
    )
    article_create(title="Spring news", featured_image=featured, by=editor, author=editor)
    article_create(
        title="Autumn news",
        body=f'<p><img src="{inline.file.url}" alt="f"></p>',
        by=editor,
        author=editor,
    )
    return featured, inline


def test_the_service_refuses_naming_the_articles(used, editor):
    featured, inline = used

    for item, title in ((featured, "Spring news"), (inline, "Autumn news")):
        with pytest.raises(MediaInUse) as refusal:
            media_delete(item=item, by=editor)
        assert title in " ".join(refusal.value.messages)
    assert MediaItem.objects.count() == 2


def test_the_admin_delete_page_says_where_it_is_used(client, used, editor):
    _, inline = used
    client.force_login(editor)

    page = client.get(f"{LIST_URL}{inline.pk}/delete/")
    posted = client.post(f"{LIST_URL}{inline.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert "“Figure” is used by" in page.content.decode()
    assert posted.status_code == 200
    assert MediaItem.objects.filter(pk=inline.pk).exists()


def test_the_bulk_action_refuses_too(client, used, editor):
    featured, inline = used
    client.force_login(editor)

    response = client.post(
        LIST_URL,
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [featured.pk, inline.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert "“Cover” is used by" in text
    assert "Autumn news" in text
    assert MediaItem.objects.count() == 2
