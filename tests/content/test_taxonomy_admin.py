"""Sections and tags in the admin: the article list's filters, bounded; their own pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from taggit.models import Tag

from apps.content.models import Article, Section, TaggedArticle
from apps.content.services import article_create, section_create
from apps.siteadmin.models import AuditEntry
from tests.fixtures import article_form

pytestmark = [pytest.mark.database, pytest.mark.django_db]

CHANGELIST = "/admin/content/article/"


def recorded():
    entries = AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).order_by("id")
    return list(entries.values_list("action", "summary"))


def fill(*, start: int, stop: int, author) -> None:
    """Articles ``start``..``stop``, each in a section of its own with three tags of its own."""
    for n in range(start, stop):
        section = section_create(name=f"Section {n}", by=author)
        article_create(title=f"Item {n}", slug=f"item-{n}", author=author, section=section,
                       tags=[f"tag {n}", f"tag {n}b", "shared"], by=author)  # fmt: skip


def test_the_article_list_filters_by_section_and_tag(client, editor):
    lamps = section_create(name="Lamps", by=editor)
    article_create(title="In lamps", slug="in-lamps", section=lamps, tags=["glow"], by=editor)
    article_create(title="Tagged only", slug="tagged-only", tags=["glow", "wire"], by=editor)
    article_create(title="Neither", slug="neither", by=editor)
    glow = Tag.objects.get(name="glow")
    client.force_login(editor)

    everything = client.get(CHANGELIST).content.decode()
    by_section = client.get(CHANGELIST, {"section__id__exact": lamps.pk}).content.decode()
    by_tag = client.get(CHANGELIST, {"tags__id__exact": glow.pk}).content.decode()

    # The sidebar offers the sections and the tags the listed articles use.
    assert f"?section__id__exact={lamps.pk}" in everything
    assert f"?tags__id__exact={glow.pk}" in everything
    assert "In lamps" in by_section
    assert "Tagged only" not in by_section
    assert "In lamps" in by_tag
    assert "Tagged only" in by_tag
    assert "Neither" not in by_tag


def test_the_tag_filter_offers_only_tags_an_editable_article_has(client, author, editor):
    article_create(title="Mine", slug="mine", author=author, tags=["mine-tag"], by=author)
    article_create(title="Theirs", slug="theirs", author=editor, tags=["their-tag"], by=editor)
    client.force_login(author)

    html = client.get(CHANGELIST).content.decode()

    assert "mine-tag" in html
    assert "their-tag" not in html


def test_the_article_list_runs_a_fixed_number_of_queries(client, editor):
    def queries(params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CHANGELIST, params).status_code == 200
        return len(captured)

    client.force_login(editor)
    fill(start=0, stop=3, author=editor)
    shared = Tag.objects.get(name="shared")
    views = ({}, {"section__id__exact": str(Section.objects.first().pk)},
             {"tags__id__exact": str(shared.pk)}, {"q": "Item"})  # fmt: skip
    for params in views:
        client.get(CHANGELIST, params)  # sessions, content types: once
    few = [queries(params) for params in views]
    fill(start=3, stop=60, author=editor)
    many = [queries(params) for params in views]

    assert Tag.objects.count() > 100
    assert many == few


def test_many_tags_on_one_article_save_and_show(client, editor):
    names = [f"t{n}" for n in range(50)]
    client.force_login(editor)

    response = client.post("/admin/content/article/add/", article_form(tags=", ".join(names)))

    assert response.status_code == 302
    article = Article.objects.get(slug="hello")
    assert sorted(article.tags.names()) == sorted(names)
    assert client.get(f"/admin/content/article/{article.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    ("tags", "error"),
    [
        ("x" * 300, "A tag has at most 100 characters (300 given)."),
        ("ok, " + "é" * 101, "A tag has at most 100 characters (101 given)."),
        (", ".join(f"t{n}" for n in range(51)), "An item has at most 50 tags."),
    ],
)
def test_a_tag_too_long_or_too_many_is_a_form_error(client, editor, tags, error):
    client.force_login(editor)

    response = client.post("/admin/content/article/add/", article_form(tags=tags))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_a_100_character_tag_is_accepted(client, editor):
    client.force_login(editor)

    response = client.post("/admin/content/article/add/", article_form(tags="é" * 100))

    assert response.status_code == 302
    assert Tag.objects.get().name == "é" * 100


# The Section and Tag admin pages -----------------------------------------------------


def test_sections_are_added_renamed_and_deleted_through_the_services(client, editor):
    client.force_login(editor)

    added = client.post("/admin/content/section/add/",
                        {"name": "Lamps", "slug": "lamps", "description": ""})  # fmt: skip
    section = Section.objects.get()
    article_create(title="In it", slug="in-it", section=section, by=editor)
    renamed = client.post(f"/admin/content/section/{section.pk}/change/",
                          {"name": "Lights", "description": "Bright."})  # fmt: skip
    confirm = client.get(f"/admin/content/section/{section.pk}/delete/")
    deleted = client.post(f"/admin/content/section/{section.pk}/delete/", {"post": "yes"})

    assert (added.status_code, renamed.status_code, deleted.status_code) == (302, 302, 302)
    assert "1 article in this section stays" in confirm.content.decode()
    assert not Section.objects.exists()
    assert Article.objects.get(slug="in-it").section is None
    sections = [entry for entry in recorded() if "section" in entry[1]]
    assert sections == [
        ("added", "section “Lamps”: Added."),
        ("changed", "section “Lights”: Changed Name and Description."),
        ("deleted", "section “Lights”"),
    ]


def test_a_section_slug_is_kept_on_rename(client, editor):
    section = section_create(name="Lamps", by=editor)
    client.force_login(editor)

    client.post(f"/admin/content/section/{section.pk}/change/",
                {"name": "Lights", "slug": "lights", "description": ""})  # fmt: skip

    section.refresh_from_db()
    assert (section.name, section.slug) == ("Lights", "lamps")


@pytest.mark.parametrize("name", ["x" * 101, "", "   "])
def test_a_bad_section_name_is_a_form_error(client, editor, name):
    client.force_login(editor)

    response = client.post("/admin/content/section/add/", {"name": name, "slug": "s"})

    assert response.status_code == 200
    assert not Section.objects.exists()


def test_tags_are_added_renamed_and_deleted_through_the_services(client, editor):
    client.force_login(editor)
    article = article_create(title="Tagged", slug="tagged", tags=["glow"], by=editor)
    tag = Tag.objects.get(name="glow")

    added = client.post("/admin/taggit/tag/add/", {"name": "日本"})
    renamed = client.post(f"/admin/taggit/tag/{tag.pk}/change/", {"name": "Glowing"})
    confirm = client.get(f"/admin/taggit/tag/{tag.pk}/delete/")
    deleted = client.post(f"/admin/taggit/tag/{tag.pk}/delete/", {"post": "yes"})

    assert (added.status_code, renamed.status_code, deleted.status_code) == (302, 302, 302)
    assert Tag.objects.get().slug == "日本"
    assert "comes off the 1 article that has it" in confirm.content.decode()
    assert Article.objects.filter(pk=article.pk).exists()
    assert not TaggedArticle.objects.exists()
    tags = [entry for entry in recorded() if entry[1].startswith("tag ")]
    assert tags == [
        ("added", "tag “日本”: Added."),
        ("changed", "tag “Glowing”: Changed Name."),
        ("deleted", "tag “Glowing”"),
    ]


def test_deleting_several_says_what_happens_to_the_articles(client, editor):
    one, two = section_create(name="One", by=editor), section_create(name="Two", by=editor)
    article_create(title="Tagged", slug="tagged", tags=["a", "b"], by=editor)
    client.force_login(editor)

    every_tag = list(Tag.objects.values_list("pk", flat=True))
    sections = client.post(
        "/admin/content/section/",
        {"action": "delete_selected", "_selected_action": [one.pk, two.pk]},
    )
    tags = client.post(
        "/admin/taggit/tag/", {"action": "delete_selected", "_selected_action": every_tag}
    )

    assert "Their articles stay, in no section." in sections.content.decode()
    assert "They come off their articles, which stay." in tags.content.decode()


@pytest.mark.parametrize("name", ["x" * 101, "x" * 300, ""])
def test_a_bad_tag_name_in_the_tag_admin_is_a_form_error(client, editor, name):
    client.force_login(editor)

    response = client.post("/admin/taggit/tag/add/", {"name": name})

    assert response.status_code == 200
    assert not Tag.objects.exists()
