"""Every model's admin lists, filters and searches; authors see only their own work."""

import pytest

from apps.content.models import Article

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    ("/admin/users/user/", {"q": "ada", "is_staff__exact": "1"}),
    ("/admin/auth/group/", {"q": "edit"}),
    ("/admin/content/article/", {"q": "hello", "status__exact": "draft", "kind__exact": "post"}),
    ("/admin/siteadmin/auditentry/", {"q": "x", "action__exact": "login"}),
]


@pytest.mark.parametrize(("url", "query"), CHANGELISTS)
def test_changelists_filter_and_search(client, make_user, url, query):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))

    assert client.get(url).status_code == 200
    assert client.get(url, query).status_code == 200


def test_authors_see_and_edit_only_their_own_drafts(client, author, editor):
    mine = Article.objects.create(title="Mine", slug="mine", author=author)
    theirs = Article.objects.create(title="Theirs", slug="theirs", author=editor)
    client.force_login(author)

    listing = client.get("/admin/content/article/").content.decode()

    assert "Mine" in listing
    assert "Theirs" not in listing
    assert client.get(f"/admin/content/article/{theirs.pk}/change/").status_code == 302
    assert client.get(f"/admin/content/article/{mine.pk}/change/").status_code == 200
    assert "publish_selected" not in listing


def test_an_author_cannot_publish_through_the_form(client, author):
    client.force_login(author)

    client.post(
        "/admin/content/article/add/",
        {
            "title": "Sneaky",
            "slug": "sneaky",
            "kind": "article",
            "language": "en",
            "body": "",
            "status": "published",
        },
    )

    article = Article.objects.get(slug="sneaky")
    assert article.status == Article.Status.DRAFT
    assert article.author == author
