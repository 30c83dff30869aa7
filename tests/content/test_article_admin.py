"""ArticleAdmin saves through the services: one history record per act, whichever way in."""

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from apps.content.models import Article
from apps.content.services import article_create, article_publish
from apps.siteadmin.models import AuditEntry
from tests.fixtures import article_form

pytestmark = pytest.mark.django_db


def recorded():
    """Every history entry but the sign-in that force_login records."""
    entries = AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).order_by("id")
    return list(entries.values_list("action", "summary"))


@pytest.fixture
def draft(editor):
    article = article_create(
        title="Hello", slug="hello", body="<p>Hi</p>", author=editor, by=editor
    )
    AuditEntry.objects.all().delete()
    LogEntry.objects.all().delete()
    return article


def test_publishing_by_the_form_status_is_one_publication(client, editor, draft):
    client.force_login(editor)

    response = client.post(
        f"/admin/content/article/{draft.pk}/change/",
        article_form(status="published", author=editor.pk),
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Article.Status.PUBLISHED
    assert draft.published_at is not None
    assert recorded() == [("published", "article “Hello”: Published.")]
    assert LogEntry.objects.get().get_change_message() == "Published."


def test_the_form_the_action_and_the_service_record_the_same(client, editor):
    made = [
        article_create(title=t, slug=t, body="<p>Hi</p>", author=editor, by=editor) for t in "abc"
    ]
    AuditEntry.objects.all().delete()
    client.force_login(editor)

    client.post(
        f"/admin/content/article/{made[0].pk}/change/",
        article_form(title="a", slug="a", status="published", author=editor.pk),
    )
    client.post(
        "/admin/content/article/", {"action": "publish_selected", "_selected_action": [made[1].pk]}
    )
    article_publish(article=made[2], by=editor)  # fmt: skip

    assert recorded() == [
        ("published", "article “a”: Published."),
        ("published", "article “b”: Published."),
        ("published", "article “c”: Published."),
    ]


def test_publishing_with_an_edit_is_still_one_record(client, editor, draft):
    client.force_login(editor)

    client.post(
        f"/admin/content/article/{draft.pk}/change/",
        article_form(title="Hello again", status="published", author=editor.pk),
    )

    assert recorded() == [("published", "article “Hello again”: Published. Changed Title.")]


def test_archiving_by_the_form_is_the_same_as_the_action(client, editor, draft):
    article_publish(article=draft, by=editor)
    AuditEntry.objects.all().delete()
    client.force_login(editor)
    shown = timezone.localtime(draft.published_at)  # as the form shows it

    client.post(
        f"/admin/content/article/{draft.pk}/change/",
        article_form(status="archived", author=editor.pk,
                     published_at_0=f"{shown:%Y-%m-%d}", published_at_1=f"{shown:%H:%M:%S}"),
    )  # fmt: skip

    assert recorded() == [("changed", "article “Hello”: Archived.")]


def test_adding_is_one_addition_with_the_signed_in_author(client, author):
    client.force_login(author)

    response = client.post("/admin/content/article/add/", article_form())

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.author == author
    assert response["Location"] == "/admin/content/article/"
    assert recorded() == [("added", "article “Hello”: Added.")]
    assert LogEntry.objects.get().object_id == str(article.pk)


def test_save_and_continue_goes_to_the_new_article(client, editor):
    client.force_login(editor)

    response = client.post("/admin/content/article/add/", {**article_form(), "_continue": "1"})

    assert response["Location"] == f"/admin/content/article/{Article.objects.get().pk}/change/"


def test_a_hostile_body_in_the_form_is_sanitised(client, editor):
    client.force_login(editor)

    client.post("/admin/content/article/add/", article_form(body="<p>x</p><script>1</script>"))

    assert Article.objects.get().body == "<p>x</p>"


def test_deleting_one_is_one_deletion(client, editor, draft):
    client.force_login(editor)

    client.post(f"/admin/content/article/{draft.pk}/delete/", {"post": "yes"})

    assert not Article.objects.exists()
    assert recorded() == [("deleted", "article “Hello”")]


def test_the_history_page_shows_what_the_services_recorded(client, editor, draft):
    client.force_login(editor)
    client.post(
        f"/admin/content/article/{draft.pk}/change/",
        article_form(status="published", author=editor.pk),
    )

    response = client.get(f"/admin/content/article/{draft.pk}/history/")

    assert response.status_code == 200
    assert "Published." in response.content.decode()


def test_an_unchanged_form_records_nothing(client, editor, draft):
    client.force_login(editor)

    client.post(f"/admin/content/article/{draft.pk}/change/", article_form(author=editor.pk))

    assert recorded() == []
