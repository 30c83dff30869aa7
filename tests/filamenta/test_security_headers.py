"""Finding 3: a strict Content-Security-Policy and a Permissions-Policy on every response.

The policy's needs are measured in a browser (tests/browser/test_content_security_policy.py);
here: every kind of response carries both headers, img-src follows an absolute
MEDIA_URL, and no template of the site carries what the policy refuses
(inline style or script, event-handler attributes), which would silently break.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from filamenta.security_headers import content_security_policy, media_origin

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [*PROJECT.glob("templates/**/*.html"), *PROJECT.glob("apps/*/templates/**/*.html")]
)
REFUSED = {
    "a style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE),
    "a <style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "an inline <script>": re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/articles/", "/accounts/login/", "/admin/login/", "/healthz", "/no-such-page/"]
)
def test_every_response_carries_the_policies(client, path):
    response = client.get(path)
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'", policy
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    features = response.headers.get("Permissions-Policy", "")
    assert "camera=()" in features, features
    assert "geolocation=()" in features


@pytest.mark.parametrize(
    ("media_url", "origin"),
    [
        ("media/", None),
        ("/media/", None),
        ("https://uploads.example.net/site/media/", "https://uploads.example.net"),
        ("//cdn.example.org/m/", "https://cdn.example.org"),
    ],
)
def test_img_src_follows_an_absolute_media_url(media_url, origin):
    assert media_origin(media_url) == origin
    images = content_security_policy(media_url=media_url)["DIRECTIVES"]["img-src"]
    assert images == ["'self'", *([origin] if origin else [])]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PROJECT)))
def test_no_template_needs_an_unsafe_policy(template):
    text = template.read_text()
    found = [what for what, pattern in REFUSED.items() if pattern.search(text)]
    assert not found, f"{template.relative_to(PROJECT)} has {', '.join(found)}"


@pytest.mark.django_db
def test_only_the_article_form_allows_the_editor_s_one_nonced_style(client, editor):
    """Trix adds one style element as it loads, with the nonce the article form puts in a meta."""
    client.force_login(editor)

    def directives(path: str) -> dict[str, str]:
        policy = client.get(path).headers["Content-Security-Policy"]
        return dict(d.strip().split(" ", 1) for d in policy.split(";"))

    form = client.get("/admin/content/article/add/")
    policy = form.headers["Content-Security-Policy"]
    found = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    nonce = re.search(r'name="trix-csp-nonce" content="([^"]+)"', form.content.decode()).group(1)
    assert found["style-src"] == f"'self' 'nonce-{nonce}'"
    assert found["script-src"] == "'self'"
    assert directives("/admin/content/article/")["style-src"] == "'self'"
    assert directives("/admin/")["style-src"] == "'self'"
