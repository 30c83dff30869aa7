"""The article's revisions in the admin: list, diff, restore, and who may see them."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.content.models import Article, ArticleRevision
from apps.content.services import article_create, article_update
from apps.siteadmin.models import AuditEntry

pytestmark = [pytest.mark.database, pytest.mark.django_db]

HUGE = "99999999999999999999"
# The admin's own (session, user, its two permission reads, the second-factor
# check twice, a rate-limit counter), then the article, the count and the page.
MAX_LIST_QUERIES = 10


def url(article: Article | str, tail: str = "") -> str:
    pk = article.pk if isinstance(article, Article) else article
    return f"/admin/content/article/{pk}/revisions/{tail}"


@pytest.fixture
def story(editor):
    article = article_create(
        title="First title",
        body="<p>Kept line</p><p>Old <b>line</b></p>",
        author=editor,
        by=editor,
    )
    article_update(
        article=article, by=editor, title="Second title", body="<p>Kept line</p><p>New line</p>"
    )
    return article


def many_revisions(article: Article, count: int) -> None:
    last = article.revisions.order_by("-number").first()
    ArticleRevision.objects.bulk_create(
        ArticleRevision(
            article=article,
            number=last.number + n,
            title=f"Title {n}",
            slug=article.slug,
            kind=article.kind,
            status=article.status,
            created_by=last.created_by,
            message=f"Change {n}",
        )
        for n in range(1, count + 1)
    )


def test_the_change_page_links_to_the_revisions(client, editor, story):
    client.force_login(editor)

    html = client.get(f"/admin/content/article/{story.pk}/change/").content.decode()

    assert f'href="{url(story)}"' in html


def test_the_list_shows_number_who_when_and_message(client, editor, story):
    client.force_login(editor)

    response = client.get(url(story))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Changed Title and Body." in html
    assert "Added." in html
    assert "edith" in html
    assert f'href="{url(story, "2/")}"' in html
    assert "2 revisions" in html


def test_the_list_is_paginated(client, editor, story):
    many_revisions(story, 58)
    client.force_login(editor)

    first = client.get(url(story)).content.decode()
    second = client.get(url(story), {"p": "2"}).content.decode()
    nonsense = client.get(url(story), {"p": "abc\x00"})

    assert "Change 58" in first
    assert "Change 9" in first
    assert "Change 8" not in first
    assert "Change 8" in second
    assert "Added." in second
    assert nonsense.status_code == 200


def test_the_list_runs_a_bounded_number_of_queries(
    client, editor, story, django_assert_max_num_queries
):
    client.force_login(editor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(story)).status_code == 200
        return len(captured)

    few = queries()
    many_revisions(story, 45)
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        client.get(url(story))
    assert queries() == few


def test_a_revision_is_shown_against_the_one_before(client, editor, story):
    client.force_login(editor)

    html = client.get(url(story, "2/")).content.decode()

    assert "Revision 2 against revision 1" in html
    assert "<del>First title</del>" in html
    assert "<ins>Second title</ins>" in html
    # The body, line by line, its HTML escaped (never rendered).
    assert "<del>&lt;p&gt;Old &lt;b&gt;line&lt;/b&gt;&lt;/p&gt;</del>" in html
    assert "<ins>&lt;p&gt;New line&lt;/p&gt;</ins>" in html
    assert "&lt;p&gt;Kept line&lt;/p&gt;" in html
    assert "<b>line</b>" not in html
    assert "Restore this revision" not in html  # it is the current one


def test_the_first_revision_and_any_two_can_be_compared(client, editor, story):
    article_update(article=story, by=editor, title="Third title")
    client.force_login(editor)

    first = client.get(url(story, "1/")).content.decode()
    compared = client.get(url(story, "compare/"), {"from": "3", "to": "1"}).content.decode()
    against = client.get(url(story, "3/"), {"against": "1"}).content.decode()

    assert "Restore this revision" in first
    assert "Revision 3 against revision 1" in compared
    assert "<del>First title</del>" in compared
    assert "<ins>Third title</ins>" in compared
    assert "Revision 3 against revision 1" in against


def test_hostile_values_in_a_revision_are_escaped(client, editor):
    article = article_create(title="<script>alert(1)</script>", author=editor, by=editor)
    article_update(article=article, by=editor, meta_description='"><img src=x onerror=alert(1)>')
    client.force_login(editor)

    html = client.get(url(article, "2/")).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_restore_asks_first_then_restores_through_the_service(editor, story):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)

    confirm = client.get(url(story, "1/restore/"))
    story.refresh_from_db()
    assert confirm.status_code == 200
    assert story.title == "Second title"  # a GET changes nothing
    html = confirm.content.decode()
    assert 'method="post"' in html
    assert "Yes, restore revision 1" in html

    assert client.post(url(story, "1/restore/")).status_code == 403  # no CSRF token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    done = client.post(url(story, "1/restore/"), {"csrfmiddlewaretoken": token}, follow=True)

    story.refresh_from_db()
    assert story.title == "First title"
    assert done.redirect_chain[-1][0] == f"/admin/content/article/{story.pk}/change/"
    assert "Restored revision 1 as revision 3." in done.content.decode()
    assert AuditEntry.objects.filter(message__startswith="Restored revision 1.").count() == 1


def test_restore_shows_what_the_rules_keep(client, author, editor):
    article = article_create(title="Draft", author=author, by=author)
    article_update(article=article, by=editor, status=Article.Status.PUBLISHED)
    client.force_login(author)

    html = client.get(url(article, "1/restore/")).content.decode()
    done = client.post(url(article, "1/restore/"), follow=True).content.decode()

    assert "right to publish" in html
    assert "right to publish" in done
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


def test_an_author_sees_the_revisions_of_their_own_articles(client, author):
    article = article_create(title="Mine", author=author, by=author)
    client.force_login(author)

    assert client.get(url(article)).status_code == 200
    assert client.get(url(article, "1/")).status_code == 200


@pytest.mark.parametrize("tail", ["", "1/", "compare/?from=1&to=2", "1/restore/"])
def test_another_author_s_article_is_not_found(client, author, make_user, tail):
    other = make_user("other", role="author", is_staff=True)
    article = article_create(title="Theirs", author=other, by=other)
    article_update(article=article, by=other, title="Theirs still")
    client.force_login(author)

    assert client.get(url(article, tail)).status_code == 404
    assert client.post(url(article, tail)).status_code == 404
    article.refresh_from_db()
    assert article.title == "Theirs still"
    assert article.revisions.count() == 2


def test_visitors_and_non_staff_are_sent_to_sign_in(client, make_user, story):
    assert client.get(url(story)).status_code == 302
    client.force_login(make_user("reader"))
    assert client.get(url(story)).status_code == 302
    assert client.post(url(story, "1/restore/")).status_code == 302
    story.refresh_from_db()
    assert story.title == "Second title"


@pytest.mark.parametrize("article_id", ["abc", "1%00", HUGE, "-1", "0", "1.0", "%EF%BC%91"])
@pytest.mark.parametrize("tail", ["", "1/", "compare/?from=1&to=2", "1/restore/"])
def test_crafted_article_ids_are_not_found(client, editor, story, article_id, tail):
    client.force_login(editor)

    assert client.get(url(article_id, tail)).status_code == 404


@pytest.mark.parametrize("number", ["abc", "1%00", HUGE, "4294967296", "-1", "0", "9"])
def test_crafted_revision_numbers_are_not_found(client, editor, story, number):
    client.force_login(editor)

    assert client.get(url(story, f"{number}/")).status_code == 404
    assert client.get(url(story, f"{number}/restore/")).status_code == 404
    assert client.post(url(story, f"{number}/restore/")).status_code == 404
    assert (
        client.get(url(story, "2/"), {"against": number.replace("%00", "\x00")}).status_code == 404
    )
    assert client.get(url(story, "compare/"), {"from": "1", "to": number}).status_code == 404
    assert client.get(url(story, "compare/")).status_code == 404


def test_a_revision_today_s_rules_refuse_is_a_message_not_a_500(client, editor, story):
    # A revision kept before a rule existed (here: an empty title) cannot be restored.
    ArticleRevision.objects.filter(article=story, number=1).update(title="")
    client.force_login(editor)

    response = client.post(url(story, "1/restore/"), follow=True)

    assert response.status_code == 200
    assert "Revision 1 cannot be restored" in response.content.decode()
    story.refresh_from_db()
    assert story.title == "Second title"
    assert story.revisions.count() == 2
