"""XSS payloads in every text a person can enter never reach a page as markup."""

from xml.etree import ElementTree

import pytest
from django.utils import timezone

from apps.content.models import Article
from apps.siteadmin.services import site_settings_update

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "</title><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
]
# What must never appear unescaped in a page that showed a payload.
DANGEROUS = ("<script>alert", "<img src=x onerror", "<svg onload", 'href="javascript:')


def assert_inert(html: str) -> None:
    for marker in DANGEROUS:
        assert marker not in html, marker


@pytest.mark.parametrize("payload", PAYLOADS)
def test_article_fields_entered_in_the_admin_are_inert_everywhere(client, editor, payload):
    client.force_login(editor)
    response = client.post(
        "/admin/content/article/add/",
        {
            "title": payload,
            "slug": "hostile",
            "kind": "article",
            "language": "en",
            "body": f"<p>text</p>{payload}",
            "status": "published",
            "author": editor.pk,
            "published_at_0": "",
            "published_at_1": "",
        },
    )
    assert response.status_code == 302
    client.logout()

    for url in ("/", "/articles/", "/articles/hostile/", "/sitemap.xml"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert_inert(page.content.decode())
    # The feed carries titles as text and the sanitised body as escaped HTML.
    feed = ElementTree.fromstring(client.get("/feed/").content)  # noqa: S314 - ours
    for description in feed.iter("description"):
        assert_inert(description.text or "")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_slug_is_refused_by_the_admin_form(client, editor, payload):
    client.force_login(editor)

    response = client.post(
        "/admin/content/article/add/",
        {"title": "t", "slug": payload, "kind": "article", "body": "", "status": "draft"},
    )

    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    assert not Article.objects.exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_site_settings_are_escaped_on_every_page(client, editor, payload):
    site_settings_update(by=editor, site_name=payload[:100], tagline=payload)
    Article.objects.create(title="x", slug="x", status="published", published_at=timezone.now())

    for url in ("/", "/articles/", "/articles/x/", "/accounts/login/", "/no-such-page/"):
        assert_inert(client.get(url).content.decode())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_author_names_are_escaped(client, make_user, payload):
    writer = make_user("writer", display_name=payload[:150])
    Article.objects.create(title="x", slug="x", author=writer, status="published",
                           published_at=timezone.now())  # fmt: skip

    for url in ("/", "/articles/x/"):
        assert_inert(client.get(url).content.decode())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_login_errors_and_search_echo_are_escaped(client, make_user, payload):
    response = client.post("/accounts/login/", {"username": payload, "password": "x"})
    assert_inert(response.content.decode())

    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    for url in ("/admin/content/article/", "/admin/siteadmin/auditentry/"):
        assert_inert(client.get(url, {"q": payload}).content.decode())
