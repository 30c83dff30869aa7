"""A featured image per article: set through the services, shown on pages, the feed and OG."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from apps.content.models import Article, ArticleMedia
from apps.content.services import article_create, article_update
from apps.media.selectors import media_usages
from apps.media.services import MediaInUse, media_delete, media_update, media_upload
from tests.media.conftest import MINIMAL_PDF, image_bytes, media_root, upload  # noqa: F401

pytestmark = [pytest.mark.database, pytest.mark.django_db]


@pytest.fixture
def picture(media_root, editor):  # noqa: F811
    return media_upload(
        file=upload("sky.jpg", image_bytes("JPEG", (2000, 1500))),
        title="Sky",
        alt_text="A red evening sky",
        caption="Taken at dusk.",
        by=editor,
    )


@pytest.fixture
def featured(picture, editor):
    return article_create(
        title="Evening",
        body="<p>Words.</p>",
        status=Article.Status.PUBLISHED,
        author=editor,
        featured_image=picture,
        by=editor,
    )


def test_the_article_page_shows_the_large_picture_with_sizes(client, featured, picture):
    html = client.get(featured.get_absolute_url()).content.decode()

    figure = re.search(r'<figure class="featured">.*?</figure>', html, re.S)[0]
    assert '<source type="image/webp" srcset="' in figure
    assert 'sizes="(max-width: 46rem) calc(100vw - 2rem), 44rem"' in figure
    assert 'width="2000" height="1500"' in figure
    assert 'alt="A red evening sky"' in figure
    assert "1600w" in figure
    assert "Taken at dusk." in figure


def test_the_home_and_list_show_a_small_picture(client, featured):
    for path in ("/", "/articles/"):
        html = client.get(path).content.decode()
        picture = re.search(r'<a class="summary-picture".*?</a>', html, re.S)[0]
        assert 'sizes="(max-width: 30rem) calc(100vw - 2rem), 12rem"' in picture
        assert "240w" in picture
        assert 'loading="lazy"' in picture


def test_the_open_graph_image_is_absolute_with_its_size_and_alt(client, featured, picture):
    html = client.get(featured.get_absolute_url()).content.decode()

    head = html.split("</head>")[0]
    wide = picture.renditions.get(width=1600, format="jpeg")
    assert f'<meta property="og:image" content="http://testserver{wide.file.url}">' in head
    assert '<meta property="og:image:width" content="1600">' in head
    assert '<meta property="og:image:height" content="1200">' in head
    assert '<meta property="og:image:type" content="image/jpeg">' in head
    assert '<meta property="og:image:alt" content="A red evening sky">' in head


def test_the_open_graph_image_never_takes_the_clients_port_into_the_cached_page(client, featured):
    first = client.get(featured.get_absolute_url(), HTTP_HOST="testserver:8123")
    second = client.get(featured.get_absolute_url())

    assert second["X-Page-Cache"] == "hit"
    for response in (first, second):
        assert "testserver:8123" not in response.content.decode()


def test_no_open_graph_image_when_the_allowed_host_is_a_pattern(client, featured, settings):
    settings.ALLOWED_HOSTS = [".testserver"]

    html = client.get(featured.get_absolute_url()).content.decode()

    assert "og:image" not in html
    assert "<picture>" in html


def test_the_feed_has_the_picture_as_an_enclosure(client, featured, picture):
    feed = ElementTree.fromstring(client.get("/feed/").content)  # noqa: S314 - our own feed

    enclosure = feed.find("channel/item/enclosure")
    rendition = picture.renditions.get(width=960, format="jpeg")
    assert enclosure.get("url") == f"http://testserver{rendition.file.url}"
    assert enclosure.get("length") == str(rendition.size)
    assert enclosure.get("type") == "image/jpeg"


def test_an_article_without_a_picture_has_none_anywhere(client, make_article):
    article = make_article("Plain")

    assert "<picture" not in client.get(article.get_absolute_url()).content.decode()
    assert "og:image" not in client.get(article.get_absolute_url()).content.decode()
    assert b"<enclosure" not in client.get("/feed/").content


def test_a_new_alt_text_refreshes_the_cached_article(client, featured, picture, editor):
    assert client.get(featured.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(featured.get_absolute_url())["X-Page-Cache"] == "hit"

    media_update(item=picture, by=editor, alt_text="A sky on fire", title="Fire")
    response = client.get(featured.get_absolute_url())

    assert response["X-Page-Cache"] == "miss"
    assert 'alt="A sky on fire"' in response.content.decode()
    assert 'alt="A sky on fire"' in client.get("/").content.decode()


def test_a_document_cannot_be_a_featured_image(media_root, editor):  # noqa: F811
    document = media_upload(file=upload("a.pdf", MINIMAL_PDF), title="Paper", by=editor)

    with pytest.raises(ValidationError, match="must be an image"):
        article_create(title="Doc", author=editor, featured_image=document, by=editor)


def test_an_author_cannot_feature_someone_elses_upload(picture, author):
    with pytest.raises(ValidationError, match="may not use"):
        article_create(title="Mine", author=author, featured_image=picture, by=author)
    article = article_create(title="Mine", author=author, by=author)
    with pytest.raises(ValidationError, match="may not use"):
        article_update(article=article, by=author, featured_image=picture)


def test_an_author_may_feature_their_own_upload(media_root, author):  # noqa: F811
    own = media_upload(
        file=upload("own.png", image_bytes("PNG", (300, 200))),
        title="Own",
        alt_text="Own",
        by=author,
    )

    article = article_create(title="Mine", author=author, featured_image=own, by=author)

    assert article.featured_image == own


def test_usages_follow_the_featured_image_and_the_body(media_root, featured, picture, editor):  # noqa: F811
    other = media_upload(
        file=upload("b.png", image_bytes("PNG", (300, 200))), title="B", alt_text="B", by=editor
    )
    paper = media_upload(file=upload("p.pdf", MINIMAL_PDF), title="Paper", by=editor)
    rendition = other.renditions.get(width=240, format="webp")
    body = (
        f'<p><img src="{rendition.file.url}" alt="B" width="240" height="160"></p>'
        f'<p><a href="{paper.file.url}">Paper</a> <a href="https://elsewhere.example/x">x</a></p>'
    )
    article_update(article=featured, by=editor, body=body)

    assert list(media_usages(item=picture)) == [featured]
    assert list(media_usages(item=other)) == [featured]
    assert list(media_usages(item=paper)) == [featured]
    assert ArticleMedia.objects.filter(article=featured).count() == 3

    article_update(article=featured, by=editor, body="<p>Nothing now.</p>", featured_image=None)

    for item in (picture, other, paper):
        assert list(media_usages(item=item)) == []
    assert not ArticleMedia.objects.exists()


def test_a_used_image_cannot_be_deleted(featured, picture, editor):
    with pytest.raises(MediaInUse, match="Evening"):
        media_delete(item=picture, by=editor)

    assert picture.renditions.exists()
    # And the database keeps it even from a delete that skips the service.
    with pytest.raises(ProtectedError):
        picture.delete()
    featured.refresh_from_db()
    assert featured.featured_image == picture


def test_the_admin_form_offers_only_images_the_user_may_use(client, picture, author, editor):
    client.force_login(author)

    form = client.get("/admin/content/article/add/").content.decode()
    assert f'<option value="{picture.pk}"' not in form

    response = client.post(
        "/admin/content/article/add/",
        {"title": "Try", "slug": "try", "kind": "article", "featured_image": picture.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Article.objects.filter(slug="try").exists()

    client.force_login(editor)
    form = client.get("/admin/content/article/add/").content.decode()
    assert f'<option value="{picture.pk}"' in form
