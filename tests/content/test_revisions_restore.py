"""article_revision_restore: a restore is one more article_update, by the rules of an edit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from taggit.models import Tag

from apps.content.models import Article, ArticleRevision
from apps.content.services import (
    article_create,
    article_publish,
    article_revision_restore,
    article_update,
    section_create,
    section_delete,
    tag_delete,
)
from apps.media.services import media_delete, media_upload
from apps.siteadmin.models import AuditEntry
from tests.media.conftest import image_bytes, media_root, upload  # noqa: F401

pytestmark = [pytest.mark.database, pytest.mark.django_db]


def revision(article: Article, number: int) -> ArticleRevision:
    return ArticleRevision.objects.select_related("section", "featured_image").get(
        article=article, number=number
    )


@pytest.fixture
def story(editor):
    article = article_create(
        title="First title", body="<p>One</p>", tags=["alpha", "beta"], author=editor, by=editor
    )
    article_update(article=article, by=editor, title="Second title", body="<p>Two</p>")
    return article


def test_a_restore_is_a_new_revision_and_a_history_entry(story, editor):
    restored = article_revision_restore(revision=revision(story, 1), by=editor)

    story.refresh_from_db()
    assert (story.title, story.body) == ("First title", "<p>One</p>")
    assert restored.revision.number == 3
    assert restored.revision.message == "Restored revision 1. Changed Title and Body."
    assert restored.revision.created_by == editor
    entry = AuditEntry.objects.filter(object_id=str(story.pk)).latest("id")
    assert entry.message == "Restored revision 1. Changed Title and Body."
    assert entry.actor == editor


def test_tags_come_back_by_name_and_deleted_ones_are_made_again(story, editor):
    article_update(article=story, by=editor, tags=["gamma"])
    tag_delete(tag=Tag.objects.get(name="alpha"), by=editor)

    article_revision_restore(revision=revision(story, 1), by=editor)

    assert sorted(story.tags.names()) == ["alpha", "beta"]
    assert Tag.objects.filter(name="alpha").exists()


def test_a_deleted_section_is_restored_as_none_and_said(editor):
    old = section_create(name="Old section", by=editor)
    new = section_create(name="New section", by=editor)
    article = article_create(title="Moved", section=old, author=editor, by=editor)
    article_update(article=article, by=editor, section=new)
    section_delete(section=old, by=editor)

    restored = article_revision_restore(revision=revision(article, 1), by=editor)

    article.refresh_from_db()
    assert article.section is None
    assert any("Old section" in note and "no longer exists" in note for note in restored.notes)


def test_a_deleted_featured_image_is_restored_as_none_and_said(media_root, editor):  # noqa: F811
    picture = media_upload(
        file=upload("sky.jpg", image_bytes("JPEG", (64, 48))),
        title="Sky",
        alt_text="A sky",
        by=editor,
    )
    article = article_create(title="Pictured", featured_image=picture, author=editor, by=editor)
    article_update(article=article, by=editor, featured_image=None, title="Plain")
    media_delete(item=picture, by=editor)

    restored = article_revision_restore(revision=revision(article, 1), by=editor)

    article.refresh_from_db()
    assert article.title == "Pictured"
    assert article.featured_image is None
    assert any("Sky" in note and "no longer exists" in note for note in restored.notes)


def test_an_author_restores_their_own_but_not_the_publication(author, editor):
    article = article_create(title="Draft words", author=author, by=author)
    article_update(article=article, by=author, title="Better words")
    article_publish(article=article, by=editor)

    restored = article_revision_restore(revision=revision(article, 1), by=author)

    article.refresh_from_db()
    assert article.title == "Draft words"
    assert article.status == Article.Status.PUBLISHED  # an author cannot unpublish
    assert any("right to publish" in note for note in restored.notes)


def test_an_editor_restores_the_publication_too(author, editor):
    article = article_create(title="Draft words", author=author, by=author)
    article_publish(article=article, by=editor)

    article_revision_restore(revision=revision(article, 1), by=editor)

    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_an_author_may_not_restore_another_author_s_article(author, make_user):
    other = make_user("other", role="author", is_staff=True)
    article = article_create(title="Not yours", author=other, by=other)
    article_update(article=article, by=other, title="Still not yours")

    with pytest.raises(PermissionDenied):
        article_revision_restore(revision=revision(article, 1), by=author)

    article.refresh_from_db()
    assert article.title == "Still not yours"
    assert article.revisions.count() == 2


def test_an_address_taken_since_is_kept_and_said(editor):
    article = article_create(title="Moving", slug="moving", author=editor, by=editor)
    article_update(article=article, by=editor, slug="moved")
    article_create(title="Squatter", slug="moving", author=editor, by=editor)

    restored = article_revision_restore(revision=revision(article, 1), by=editor)

    article.refresh_from_db()
    assert article.slug == "moved"
    assert any("moving" in note for note in restored.notes)


def test_restoring_what_it_already_is_writes_nothing(story, editor):
    before = AuditEntry.objects.count()

    restored = article_revision_restore(revision=revision(story, 2), by=editor)

    assert restored.revision is None
    assert story.revisions.count() == 2
    assert AuditEntry.objects.count() == before


def test_an_old_body_is_sanitised_by_today_s_rules(story, editor):
    # A revision kept before a sanitiser rule existed: today's rules apply on restore.
    ArticleRevision.objects.filter(article=story, number=1).update(
        body='<p>One</p><script>alert(1)</script><a href="javascript:x()">x</a>'
    )

    article_revision_restore(revision=revision(story, 1), by=editor)

    story.refresh_from_db()
    assert "<script" not in story.body
    assert "javascript:" not in story.body
