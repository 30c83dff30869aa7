"""Deleting a person never deletes what they did (issue 11, finding 8).

Django's ``LogEntry.user`` cascades: deleting an editor deleted their rows, so
each object's History page forgot their edits, and the history entries kept
their rows but lost the object they were about (``log_entry`` set to NULL).
The history entry now holds the object itself and the History pages read it.
"""

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.content.models import Article
from apps.siteadmin.models import AuditEntry
from apps.users.services import user_delete, users_delete
from tests.fixtures import article_form

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def edit_as(client, person, article, **changes):
    client.force_login(person)
    as_it_is = {"title": article.title, "slug": article.slug, "body": article.body}
    response = client.post(
        f"/admin/content/article/{article.pk}/change/",
        article_form(**{**as_it_is, "author": person.pk, **changes}),
    )
    assert response.status_code == 302


def history_page(client, article) -> str:
    response = client.get(f"/admin/content/article/{article.pk}/history/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_edit_stays_on_the_history_page_after_its_editor_is_deleted(
    client, editor, administrator, make_article
):
    article = make_article("Story", published=False, author=editor)
    edit_as(client, editor, article, title="Story, edited")

    user_delete(user=editor, by=administrator)

    client.force_login(administrator)
    html = history_page(client, article)
    assert "Changed Title." in html
    assert "edith" in html
    assert "account deleted" in html
    entry = AuditEntry.objects.get(action="changed", summary__startswith="article")
    assert (entry.content_type, entry.object_id) == (
        ContentType.objects.get_for_model(Article), str(article.pk)
    )  # fmt: skip
    assert entry.object_repr == "Story, edited"
    assert (entry.actor, entry.actor_name) == (None, "edith")


def test_deleting_several_people_keeps_all_their_history(
    client, editor, administrator, make_user, make_article
):
    other = make_user("olive", role="editor", is_staff=True)
    article = make_article("Story", published=False, author=editor)
    edit_as(client, editor, article, title="Story, edited")
    edit_as(client, other, article, title="Story, edited twice")

    users_delete(users=[editor, other], by=administrator)

    client.force_login(administrator)
    html = history_page(client, article)
    assert "edith" in html
    assert "olive" in html
    linked = AuditEntry.objects.filter(object_id=str(article.pk), action="changed")
    assert linked.count() == 2


def test_the_history_page_shows_what_the_services_record(client, administrator, make_article):
    # Written without the admin (a shell, the set-up script) and still on the page.
    article = make_article("Story")  # created and published by its author

    client.force_login(administrator)
    html = history_page(client, article)

    assert "Published." in html
    assert "Added." in html  # by no one: a script
