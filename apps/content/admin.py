"""Articles in the admin: editors publish anything, authors draft their own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from apps.media.models import MediaItem
from apps.media.selectors import media_list_visible
from apps.siteadmin.audited import ServiceAuditedModelAdmin

from .admin_revisions import ArticleRevisionsMixin
from .models import Article, Section
from .selectors import PUBLISH_PERMISSION, article_list_editable
from .services import (
    ARTICLE_FIELDS,
    SECTION_FIELDS,
    TAG_FIELDS,
    article_archive,
    article_create,
    article_delete,
    article_publish,
    article_tag_names,
    article_update,
    articles_delete,
    section_create,
    section_delete,
    section_update,
    sections_delete,
    tag_create,
    tag_delete,
    tag_update,
    tags_delete,
)
from .widgets import RichTextEditor


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = (
            "title", "slug", "kind", "language", "translation_of", "section", "tags",
            "featured_image", "body", "status", "author", "published_at", "unpublish_at",
            "meta_description",
        )  # fmt: skip

    def clean_tags(self) -> list[str]:
        # Too long or too many is a form error here, not a database error later.
        try:
            return article_tag_names(self.cleaned_data.get("tags"))
        except ValidationError as error:
            raise ValidationError(error.error_dict["tags"]) from None  # codes kept


@admin.register(Article)
class ArticleAdmin(ArticleRevisionsMixin, ServiceAuditedModelAdmin):
    form = ArticleAdminForm
    list_display = (
        "title",
        "kind",
        "publication",
        "section",
        "author",
        "published_at",
        "updated_at",
    )
    list_filter = (
        "status",
        "kind",
        "section",
        ("tags", admin.RelatedOnlyFieldListFilter),
        ("author", admin.RelatedOnlyFieldListFilter),
        "published_at",
    )
    search_fields = ("title", "slug", "author__username", "author__display_name")
    list_select_related = ("author", "section")
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("author", "translation_of")
    readonly_fields = ("created_at", "updated_at")
    actions = ("publish_selected", "archive_selected")
    list_per_page = 50
    # The body in a rich-text editor (Trix) rather than a textarea of HTML.
    formfield_overrides = {models.TextField: {"widget": RichTextEditor}}
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "section", "tags", "featured_image", "body")}),
        (_("Publication"), {"fields": ("status", "author", "published_at", "unpublish_at")}),
        (_("Language"), {"fields": ("language", "translation_of")}),
        (_("Search engines and sharing"), {"fields": ("meta_description",)}),
        (_("Dates"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description=_("status"), ordering="status")
    def publication(self, obj: Article) -> str:
        """The status, with "scheduled" for a published item whose time is still to come."""
        if obj.is_scheduled:
            when = formats.localize(timezone.localtime(obj.published_at))
            return gettext("Scheduled for %(when)s") % {"when": when}
        return obj.get_status_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        # Authors see and edit only what they wrote; the draft preview follows the same rule.
        return article_list_editable(user=request.user, articles=super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "featured_image":
            # The images this person may use; any other id is a form error.
            kwargs["queryset"] = media_list_visible(user=request.user).filter(
                kind=MediaItem.Kind.IMAGE
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Article | None = None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm(PUBLISH_PERMISSION):
            fields += ["status", "author", "published_at", "unpublish_at"]
        return fields

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.has_perm(PUBLISH_PERMISSION):
            actions.pop("publish_selected", None)
            actions.pop("archive_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:
        # Only the form's own fields: an author's form has no status or author.
        fields = {
            name: value for name, value in form.cleaned_data.items() if name in ARTICLE_FIELDS
        }
        if change:
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            article_update(article=obj, by=request.user, **changed)
            return
        if fields.get("author") is None:
            fields["author"] = request.user
        created = article_create(by=request.user, **fields)
        # The admin goes on with its own instance (the redirect, "Save and continue editing").
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # The tags were set by the service with everything else (history,
        # revision); Django's save_m2m would set them a second time, unrecorded.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        article_delete(article=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        articles_delete(articles=queryset, by=request.user)

    @admin.action(description=_("Publish selected items"), permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.exclude(status=Article.Status.PUBLISHED):
            article_publish(article=article, by=request.user)
            count += 1
        said = ngettext("Published %(count)d item.", "Published %(count)d items.", count)
        self.message_user(request, said % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Archive selected items"), permissions=["publish"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.exclude(status=Article.Status.ARCHIVED):
            article_archive(article=article, by=request.user)
            count += 1
        said = ngettext("Archived %(count)d item.", "Archived %(count)d items.", count)
        self.message_user(request, said % {"count": count}, messages.SUCCESS)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)


def _save_through_services(
    obj: models.Model,
    form,
    change: bool,
    *,
    allowed: frozenset[str],
    create: Callable[[dict[str, Any]], models.Model],
    update: Callable[[dict[str, Any]], Any],
) -> None:
    """An admin save of ``allowed`` fields by a create or update service (changed fields only).

    The admin goes on with its own instance after a create (the redirect,
    "Save and continue editing"), so it takes the new row's key and values.
    """
    fields = {name: value for name, value in form.cleaned_data.items() if name in allowed}
    if change:
        update({name: fields[name] for name in form.changed_data if name in fields})
        return
    created = create(fields)
    obj.pk = created.pk
    obj.refresh_from_db()
    obj._state.adding = False


@admin.register(Section)
class SectionAdmin(ServiceAuditedModelAdmin):
    list_display = ("name", "slug", "updated_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_readonly_fields(self, request: HttpRequest, obj: Section | None = None):
        # The slug is the section's address: set once, then stable.
        return ("slug",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Section, form, change: bool) -> None:
        _save_through_services(
            obj, form, change, allowed=SECTION_FIELDS,
            create=lambda fields: section_create(by=request.user, **fields),
            update=lambda fields: section_update(section=obj, by=request.user, **fields),
        )  # fmt: skip

    def delete_model(self, request: HttpRequest, obj: Section) -> None:
        section_delete(section=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Section]) -> None:
        sections_delete(sections=queryset, by=request.user)


# taggit's own admin saves past the services and merges through its generic
# table, which our articles do not use: replaced by one that goes through them.
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(ServiceAuditedModelAdmin):
    list_display = ("name", "slug")
    ordering = ("name",)
    search_fields = ("name",)

    def get_readonly_fields(self, request: HttpRequest, obj: Tag | None = None):
        # The slug is the tag page's address: made from the name once, then stable.
        return ("slug",)

    def save_model(self, request: HttpRequest, obj: Tag, form, change: bool) -> None:
        _save_through_services(
            obj, form, change, allowed=TAG_FIELDS,
            create=lambda fields: tag_create(by=request.user, **fields),
            update=lambda fields: tag_update(tag=obj, by=request.user, **fields),
        )  # fmt: skip

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        tag_delete(tag=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tag]) -> None:
        tags_delete(tags=queryset, by=request.user)
