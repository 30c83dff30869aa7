"""A draft's public address previews it only for those who may edit it, as the admin decides.

The review found any staff account (authors included) reading every draft at
``/articles/<slug>/``. The rule is the admin's: editors and administrators may
edit everything, authors only what they wrote; everyone else gets the same
404 as for an address that does not exist.
"""

import pytest

from apps.content.models import Article
from apps.content.views import article_detail

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(make_user):
    return make_user("anna", role="author", is_staff=True)


@pytest.fixture
def draft(make_article, writer):
    return make_article("Anna's draft", slug="annas-draft", body="<p>secret</p>", author=writer,
                        published=False)  # fmt: skip


def preview(client, user):
    if user is not None:
        client.force_login(user)
    return client.get("/articles/annas-draft/")


def test_the_author_previews_their_own_draft_and_no_one_may_store_it(client, draft, writer):
    response = preview(client, writer)

    assert response.status_code == 200
    assert b"secret" in response.content
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_another_author_gets_the_404_of_a_missing_page(client, draft, make_user):
    other = make_user("boris", role="author", is_staff=True)

    response = preview(client, other)

    assert response.status_code == 404
    assert b"secret" not in response.content


@pytest.mark.parametrize("role", ["editor", "administrator"])
def test_editors_and_administrators_preview_anyones_draft(client, draft, make_user, role):
    response = preview(client, make_user("boss", role=role, is_staff=True))

    assert response.status_code == 200
    assert b"secret" in response.content
    assert "no-store" in response["Cache-Control"]


def test_a_superuser_previews_anyones_draft(client, draft, make_user):
    root = make_user("root", is_staff=True, is_superuser=True)

    assert preview(client, root).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"role": "reader"}, id="reader"),
        pytest.param({"is_staff": True}, id="staff-without-a-role"),
        # An editor's group without admin access cannot edit, so cannot preview.
        pytest.param({"role": "editor"}, id="editor-group-without-staff"),
    ],
)
def test_those_who_cannot_edit_it_get_404(client, draft, make_user, fields):
    response = preview(client, make_user("someone", **fields))

    assert response.status_code == 404


def test_visitors_get_404(client, draft):
    assert preview(client, None).status_code == 404


def test_a_deactivated_author_no_longer_previews(client, draft, writer):
    client.force_login(writer)
    writer.is_active = False
    writer.save()

    assert client.get("/articles/annas-draft/").status_code == 404


def test_a_preview_is_never_stored_in_or_served_from_the_page_cache(client, draft, writer, rf):
    assert preview(client, writer).status_code == 200
    client.logout()

    # Visitors without a session are the ones the page cache serves.
    for _ in range(2):
        response = client.get("/articles/annas-draft/")
        assert response.status_code == 404
        assert b"secret" not in response.content
    # Even a request that reached the view without a session cookie (the
    # cache's test for "personal") is never stored when it is a preview.
    request = rf.get("/articles/annas-draft/")
    request.user = writer
    response = article_detail(request, slug="annas-draft")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert client.get("/articles/annas-draft/").status_code == 404


def test_the_admin_and_the_preview_share_one_rule(client, draft, writer, make_user, editor):
    from apps.content.selectors import article_list_editable

    other = make_user("boris", role="author", is_staff=True)
    theirs = Article.objects.create(title="Boris's", slug="boris", author=other)

    assert list(article_list_editable(user=writer)) == [draft]
    assert set(article_list_editable(user=editor)) == {draft, theirs}
    client.force_login(other)
    assert client.get(f"/admin/content/article/{draft.pk}/change/").status_code == 302
    assert client.get(f"/admin/content/article/{theirs.pk}/change/").status_code == 200
