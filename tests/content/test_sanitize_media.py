"""sanitize_html and the editor's images: our own media only, with srcset; figure and figcaption.

The rich-text editor inserts ``<figure><img src srcset sizes width height alt
loading><figcaption>`` for an image of the media library. An image is kept
only when every URL it would load (``src`` and each ``srcset`` candidate) is
our own media (MEDIA_URL, or the storage's base URL when absolute); one from
another host only when the site setting ``allow_external_images`` is on; a
``data:`` image never (issue 12).
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import clear_script_prefix, set_script_prefix

from apps.content.sanitize import sanitize_html

OWN = "/media/images/0123456789abcdef0123456789abcdef/lamp.jpg"
OWN_480 = "/media/renditions/0123456789abcdef0123456789abcdef/480.webp"
FIGURE = (
    f'<figure><img src="{OWN}" srcset="{OWN_480} 480w, {OWN} 960w" '
    'sizes="(max-width: 960px) 100vw, 960px" width="960" height="640" alt="A lamp" '
    'loading="lazy"><figcaption>The harbour lamp</figcaption></figure>'
)
DATA_PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"


def test_an_image_of_our_media_is_kept_with_its_srcset_figure_and_caption():
    assert sanitize_html(FIGURE) == FIGURE


def test_an_image_from_another_host_is_removed():
    cleaned = sanitize_html('<p>Before<img src="https://elsewhere.example/x.png" alt="x">after</p>')

    assert cleaned == "<p>Beforeafter</p>"


def test_an_image_from_another_host_is_kept_when_the_site_allows_it():
    html = '<p><img src="https://elsewhere.example/x.png" alt="x"></p>'

    assert sanitize_html(html, allow_external_images=True) == html


@pytest.mark.parametrize("allow_external_images", [False, True])
@pytest.mark.parametrize("url", [DATA_PNG, "DATA:image/gif;base64,R0lGODlhAQAB", "  data:x"])
def test_a_data_image_is_never_kept(url, allow_external_images):
    cleaned = sanitize_html(
        f'<p>a<img src="{url}" alt="x">b</p><p><img src="{OWN}" srcset="{url} 2x"></p>',
        allow_external_images=allow_external_images,
    )

    assert "data:" not in cleaned.lower()
    assert cleaned == f'<p>ab</p><p><img src="{OWN}"></p>'


@pytest.mark.parametrize(
    "srcset",
    [
        f"{OWN_480} 480w, https://elsewhere.example/960.jpg 960w",
        "https://elsewhere.example/960.jpg",
        f"{OWN_480} 480w, javascript:alert(1) 960w",
        f"{OWN_480} 480w,//elsewhere.example/x.jpg 2x",
        "/media/../admin/x.png 1x",
    ],
)
def test_a_srcset_with_any_url_not_of_our_media_is_dropped(srcset):
    cleaned = sanitize_html(f'<img src="{OWN}" srcset="{srcset}" alt="a">')

    assert cleaned == f'<img src="{OWN}" alt="a">'


@pytest.mark.parametrize(
    "src",
    [
        "/static/css/site.css",  # ours, but not media
        "/media/../accounts/logout/",  # climbs out of the media folder
        "/media/%2e%2e/accounts/logout/",
        "/media\\..\\accounts/",
        "media/images/x.jpg",  # relative to the article's page, not to the site
        "//elsewhere.example/media/x.jpg",
        "https://elsewhere.example/media/images/x.jpg",
        "javascript:alert(1)",
    ],
)
def test_an_image_not_in_our_media_folder_is_removed(src):
    assert sanitize_html(f'<p>a<img src="{src}" alt="x">b</p>') == "<p>ab</p>"


def test_the_figure_s_caption_stays_when_its_image_goes():
    cleaned = sanitize_html(
        '<figure><img src="https://elsewhere.example/x.png"><figcaption>c</figcaption></figure>'
    )

    assert cleaned == "<figure><figcaption>c</figcaption></figure>"


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("width", "100%"), ("height", "-3"), ("width", "1e9"), ("loading", "sometimes")],
)
def test_malformed_image_attributes_are_dropped(attribute, value):
    cleaned = sanitize_html(f'<img src="{OWN}" {attribute}="{value}">')

    assert cleaned == f'<img src="{OWN}">'


def test_an_alt_text_with_markup_characters_keeps_the_image():
    html = f'<img src="{OWN}" alt="a &gt; b &amp; &quot;c&quot;">'

    assert sanitize_html(html) == html


def test_scripts_still_cannot_ride_on_an_own_image():
    cleaned = sanitize_html(f'<img src="{OWN}" onerror="alert(1)" style="x" class="y">')

    assert cleaned == f'<img src="{OWN}">'


@override_settings(MEDIA_URL="https://files.example.org/site/media/")
def test_an_absolute_media_url_is_our_media_and_nothing_else_on_its_host():
    own = "https://files.example.org/site/media/images/ab/x.jpg"
    html = f'<img src="{own}" srcset="//files.example.org/site/media/r/ab/4.webp 4w">'
    assert sanitize_html(html) == html

    for foreign in ("https://files.example.org/other/x.jpg", "/media/images/ab/x.jpg"):
        assert sanitize_html(f'<p><img src="{foreign}"></p>') == "<p></p>"


@override_settings(FORCE_SCRIPT_NAME="/filamenta", MEDIA_URL="media/")
def test_under_a_sub_path_our_media_is_under_it():
    set_script_prefix("/filamenta/")
    try:
        own = "/filamenta/media/images/ab/x.jpg"
        assert sanitize_html(f'<img src="{own}">') == f'<img src="{own}">'
        assert sanitize_html('<p><img src="/other/media/images/ab/x.jpg"></p>') == "<p></p>"
    finally:
        clear_script_prefix()


@pytest.mark.django_db
def test_the_site_setting_decides_for_articles_written_through_the_services(editor):
    from apps.content.services import article_create, article_update
    from apps.siteadmin.services import site_settings_update

    body = '<p>x</p><img src="https://elsewhere.example/x.png" alt="x">'
    refused = article_create(title="Refused", body=body, author=editor, by=editor)
    assert refused.body == "<p>x</p>"

    site_settings_update(by=editor, allow_external_images=True)
    kept = article_create(title="Kept", body=body, author=editor, by=editor)
    assert kept.body == body
    article_update(article=refused, by=editor, body=body)
    refused.refresh_from_db()
    assert refused.body == body
