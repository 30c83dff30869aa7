"""Sections, tags and revisions through the article services: one way in, recorded once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from taggit.models import Tag

from apps.content.models import Article, ArticleRevision
from apps.content.services import (
    article_create,
    article_update,
    articles_create_many,
    body_text,
    section_create,
    section_delete,
    section_update,
    tag_delete,
    tag_update,
)
from apps.siteadmin.models import AuditEntry

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def history(obj) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
        .order_by("pk")
        .values_list("message", flat=True)
    )


def test_tags_are_set_by_name_and_one_tag_whatever_the_case(editor):
    first = article_create(title="One", tags=["Django", "été"], by=editor)
    second = article_create(title="Two", tags="django, Summer", by=editor)

    assert sorted(first.tags.names()) == ["Django", "été"]
    assert sorted(second.tags.names()) == ["Django", "Summer"]
    assert Tag.objects.filter(name__iexact="django").count() == 1


@pytest.mark.parametrize(
    "tags",
    [["x" * 300], "y" * 101],
    ids=["a 300-character name", "101 characters as text"],
)
def test_a_tag_name_too_long_is_a_validation_error_and_nothing_is_written(tags):
    with pytest.raises(ValidationError) as error:
        article_create(title="Too long a tag", tags=tags)

    assert "tags" in error.value.message_dict
    assert not Article.objects.filter(title="Too long a tag").exists()
    assert not Tag.objects.exists()


def test_too_many_tags_is_a_validation_error():
    with pytest.raises(ValidationError):
        article_create(title="Tag soup", tags=[f"t{n}" for n in range(51)])


def test_a_change_of_tags_alone_is_a_change_recorded_and_a_revision(editor):
    article = article_create(title="Tagged", tags=["a"], by=editor)
    updated_at = article.updated_at

    article_update(article=article, by=editor, tags=["a", "b"])

    article.refresh_from_db()
    assert sorted(article.tags.names()) == ["a", "b"]
    assert article.updated_at > updated_at  # the save that makes cached pages miss
    assert history(article)[-1] == "Changed Tags."
    assert article.revisions.first().tags == ["a", "b"]


def test_the_same_tags_again_write_nothing(editor):
    article = article_create(title="Steady", tags=["a", "b"], by=editor)

    article_update(article=article, by=editor, tags="B, a")

    assert article.revisions.count() == 1
    assert len(history(article)) == 1


def test_every_write_keeps_a_numbered_revision_of_what_the_article_became(editor):
    section = section_create(name="News", by=editor)
    article = article_create(title="Draft title", body="<p>first</p>", by=editor)
    article_update(article=article, by=editor, title="Final title", section=section)
    article_update(article=article, by=editor, status=Article.Status.PUBLISHED)

    revisions = list(article.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3]
    assert [r.title for r in revisions] == ["Draft title", "Final title", "Final title"]
    assert revisions[1].section == section
    assert revisions[1].section_name == "News"
    assert revisions[2].status == Article.Status.PUBLISHED
    assert {r.created_by for r in revisions} == {editor}
    assert revisions[2].message == "Published."


def test_bulk_inserts_keep_a_first_revision_unless_told_not_to():
    articles_create_many(articles=[Article(title="Bulk one"), Article(title="Bulk two")])
    articles_create_many(articles=[Article(title="Bench row")], keep_revisions=False)

    assert set(ArticleRevision.objects.values_list("title", flat=True)) == {
        "Bulk one",
        "Bulk two",
    }


def test_the_search_text_is_the_body_without_markup():
    article = article_create(
        title="Text", body="<p>Un <strong>été</strong></p><p>chaud</p><ul><li>a</li><li>b</li></ul>"
    )

    assert article.search_text == "Un été chaud a b"
    assert body_text("<p>fused</p><p>words</p>") == "fused words"


def test_a_section_keeps_its_slug_when_renamed_and_both_are_recorded(editor):
    section = section_create(name="Local news", by=editor)
    section_update(section=section, by=editor, name="News from here")

    section.refresh_from_db()
    assert section.slug == "local-news"
    assert history(section) == ["Added.", "Changed Name."]


def test_deleting_a_section_keeps_its_articles(editor):
    section = section_create(name="Gone", by=editor)
    article = article_create(title="Stays", section=section, by=editor)

    section_delete(section=section, by=editor)

    article.refresh_from_db()
    assert article.section is None
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DELETED).exists()


def test_renaming_a_tag_keeps_its_slug_and_deleting_it_keeps_the_articles(editor):
    article = article_create(title="Tagged", tags=["Old name"], by=editor)
    tag = Tag.objects.get(name="Old name")

    tag_update(tag=tag, by=editor, name="New name")
    tag.refresh_from_db()
    assert (tag.name, tag.slug) == ("New name", "old-name")

    tag_delete(tag=tag, by=editor)
    article.refresh_from_db()
    assert list(article.tags.names()) == []
