"""manage.py prune_revisions --keep N: the newest N of each article stay, the latest always."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from apps.content import services
from apps.content.models import ArticleRevision
from apps.content.services import article_create, article_update, revisions_prune
from apps.siteadmin.models import AuditEntry

pytestmark = [pytest.mark.database, pytest.mark.django_db]


@pytest.fixture
def articles(editor):
    """Three articles with 1, 4 and 7 revisions."""
    made = []
    for name, saves in (("one", 1), ("four", 4), ("seven", 7)):
        article = article_create(title=name, author=editor, by=editor)
        for n in range(2, saves + 1):
            article_update(article=article, by=editor, title=f"{name} {n}")
        made.append(article)
    return made


def numbers(article) -> list[int]:
    return sorted(article.revisions.values_list("number", flat=True))


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_revisions", *args, stdout=out)
    return out.getvalue()


def test_keeps_the_newest_n_of_each_article_and_says_how_many_went(articles):
    one, four, seven = articles
    before = AuditEntry.objects.count()

    said = prune("--keep", "3")

    assert numbers(one) == [1]
    assert numbers(four) == [2, 3, 4]
    assert numbers(seven) == [5, 6, 7]
    assert "Deleted 5 old revision(s)" in said
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == AuditEntry.Action.DELETED
    assert "Pruned 5" in entry.summary


def test_keep_one_leaves_each_article_its_latest_revision(articles):
    prune("--keep=1")

    assert [numbers(a) for a in articles] == [[1], [4], [7]]
    for article in articles:
        article.refresh_from_db()
        assert article.revisions.get().title == article.title


def test_the_default_keeps_fifty(articles):
    assert "Deleted 0 old revision(s)" in prune()
    assert ArticleRevision.objects.count() == 12


def test_numbering_goes_on_after_a_prune(articles, editor):
    prune("--keep", "1")
    seven = articles[2]

    article_update(article=seven, by=editor, title="seven again")

    assert numbers(seven) == [7, 8]


def test_batches_give_the_same_result(articles, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 2)

    assert revisions_prune(keep=2) == 7

    assert [numbers(a) for a in articles] == [[1], [3, 4], [6, 7]]


@pytest.mark.parametrize("value", ["0", "-1", "abc", "", "1.5", "1\x00", "9" * 30, "\uff15"])
def test_a_bad_keep_is_an_error_naming_the_option(articles, value):
    with pytest.raises(CommandError, match="--keep"):
        prune("--keep", value)

    assert ArticleRevision.objects.count() == 12


def test_the_service_refuses_to_delete_every_revision(articles):
    with pytest.raises(ValueError, match="at least 1"):
        revisions_prune(keep=0)
