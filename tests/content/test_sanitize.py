"""sanitize_html: no attribute the allow-list keeps may carry a URL that runs script.

nh3 (ammonia) checks the scheme of only the attributes it knows hold URLs
(``href``, ``src`` and a few on tags we do not allow); the review found
``<blockquote cite="javascript:…">`` passing through. These tests take every
URL attribute from the allow-list itself, so one added later is tested too.
"""

import importlib

import pytest

from apps.content.sanitize import ALLOWED_ATTRIBUTES, URL_ATTRIBUTES, sanitize_html

# Attributes whose value HTML defines as a URL (WHATWG's attribute index and
# the legacy ones browsers still resolve), whatever the tag.
HTML_URL_ATTRIBUTES = frozenset(
    {
        "action", "archive", "background", "cite", "classid", "codebase", "data", "formaction",
        "href", "icon", "itemid", "longdesc", "lowsrc", "dynsrc", "manifest", "ping", "poster",
        "profile", "src", "srcset", "usemap", "xlink:href",
    }
)  # fmt: skip
KEPT_URL_ATTRIBUTES = sorted(
    (tag, attribute)
    for tag, attributes in ALLOWED_ATTRIBUTES.items()
    for attribute in attributes
    if attribute in HTML_URL_ATTRIBUTES
)
UNSAFE_URLS = {
    "plain": "javascript:alert(1)",
    "mixed-case": "JaVaScRiPt:alert(1)",
    "decimal-entity": "&#106;avascript:alert(1)",
    "hex-entity": "&#x6A;&#x61;vascript:alert(1)",
    "named-colon-entity": "javascript&colon;alert(1)",
    "tab-inside": "java\tscript:alert(1)",
    "newline-inside": "java\nscript:alert(1)",
    "carriage-return-inside": "java\rscript:alert(1)",
    "entity-newline-inside": "java&#10;script:alert(1)",
    "leading-space": "  javascript:alert(1)",
    "leading-control-character": "&#1;javascript:alert(1)",
    "data-html": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data-upper": "DATA:text/html,<script>alert(1)</script>",
    "vbscript": "vbscript:msgbox(1)",
    "vbscript-mixed-case": "VbScRiPt:msgbox(1)",
    "file": "file:///etc/passwd",
}
SAFE_URLS = {
    "https": "https://example.com/a?b=c#d",
    "http": "http://example.com/",
    "mailto": "mailto:someone@example.com",
    "root-relative": "/articles/other/",
    "path-relative": "other/",
    "scheme-relative": "//example.com/x",
    "fragment": "#section",
    # A colon after a slash, a question mark or a hash is not a scheme.
    "colon-in-path": "/notes/javascript:alert",
    "colon-in-query": "?q=javascript:alert",
}


def element(tag: str, attribute: str, value: str) -> str:
    if tag == "img":
        # An image without a source is removed: a srcset is tested beside one of our own.
        source = "" if attribute == "src" else 'src="/media/x.png" '
        return f'<img {source}{attribute}="{value}">'
    return f'<{tag} {attribute}="{value}">text</{tag}>'


def test_the_allow_list_keeps_url_attributes_to_test():
    assert ("blockquote", "cite") in KEPT_URL_ATTRIBUTES
    assert ("a", "href") in KEPT_URL_ATTRIBUTES
    assert ("img", "src") in KEPT_URL_ATTRIBUTES
    assert ("img", "srcset") in KEPT_URL_ATTRIBUTES


@pytest.mark.parametrize(("tag", "attribute"), KEPT_URL_ATTRIBUTES)
@pytest.mark.parametrize("url", UNSAFE_URLS.values(), ids=UNSAFE_URLS.keys())
def test_unsafe_urls_are_removed_from_every_url_attribute(tag, attribute, url):
    # Even where the site accepts images from other hosts (test_sanitize_media.py tests hosts).
    cleaned = sanitize_html(f"<p>{element(tag, attribute, url)}</p>", allow_external_images=True)

    assert f"{attribute}=" not in cleaned
    lowered = cleaned.lower()
    for scheme in ("script:", "data:", "file:"):
        assert scheme not in lowered.replace("\t", "").replace("\n", "").replace("\r", "")


@pytest.mark.parametrize(("tag", "attribute"), KEPT_URL_ATTRIBUTES)
@pytest.mark.parametrize("url", SAFE_URLS.values(), ids=SAFE_URLS.keys())
def test_safe_urls_are_kept_in_every_url_attribute(tag, attribute, url):
    cleaned = sanitize_html(element(tag, attribute, url), allow_external_images=True)

    assert f'{attribute}="{url}"' in cleaned.replace("&amp;", "&")


def test_the_reviewed_blockquote_keeps_its_text_and_loses_its_cite():
    cleaned = sanitize_html('<blockquote cite="javascript:alert(1)"><p>quoted</p></blockquote>')

    assert cleaned == "<blockquote><p>quoted</p></blockquote>"


def test_every_url_attribute_kept_is_one_the_filter_checks():
    assert {attribute for _, attribute in KEPT_URL_ATTRIBUTES} <= URL_ATTRIBUTES


@pytest.mark.django_db
def test_bodies_stored_before_the_fix_are_cleaned_by_the_migration():
    from django.apps import apps

    from apps.content.models import Article

    migration = importlib.import_module("apps.content.migrations.0002_resanitize_url_attributes")
    # Saved without the services, as a body written before the fix was stored.
    old = Article.objects.create(
        title="Old", slug="old", body='<blockquote cite="javascript:alert(1)">q</blockquote>'
    )
    fine = Article.objects.create(
        title="Fine", slug="fine", body='<blockquote cite="https://example.com/">q</blockquote>'
    )

    migration.resanitize_bodies(apps, None)

    old.refresh_from_db()
    fine.refresh_from_db()
    assert old.body == "<blockquote>q</blockquote>"
    assert fine.body == '<blockquote cite="https://example.com/">q</blockquote>'
