"""Articles in the admin: editors publish anything, authors draft their own."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.media.models import MediaItem
from apps.media.selectors import media_list_visible
from apps.siteadmin.audited import ServiceAuditedModelAdmin

from .models import Article
from .selectors import PUBLISH_PERMISSION, article_list_editable
from .services import (
    ARTICLE_FIELDS,
    article_archive,
    article_create,
    article_delete,
    article_publish,
    article_update,
    articles_delete,
)
from .widgets import RichTextEditor


@admin.register(Article)
class ArticleAdmin(ServiceAuditedModelAdmin):
    list_display = ("title", "kind", "status", "author", "published_at", "updated_at")
    list_filter = ("status", "kind", ("author", admin.RelatedOnlyFieldListFilter), "published_at")
    search_fields = ("title", "slug", "author__username", "author__display_name")
    list_select_related = ("author",)
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("author",)
    readonly_fields = ("created_at", "updated_at")
    actions = ("publish_selected", "archive_selected")
    list_per_page = 50
    # The body in a rich-text editor (Trix) rather than a textarea of HTML.
    formfield_overrides = {models.TextField: {"widget": RichTextEditor}}
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "featured_image", "body")}),
        ("Publication", {"fields": ("status", "author", "published_at")}),
        ("Dates", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

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
            fields += ["status", "author", "published_at"]
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

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        article_delete(article=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        articles_delete(articles=queryset, by=request.user)

    @admin.action(description="Publish selected items", permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.exclude(status=Article.Status.PUBLISHED):
            article_publish(article=article, by=request.user)
            count += 1
        self.message_user(request, f"Published {count} item(s).", messages.SUCCESS)

    @admin.action(description="Archive selected items", permissions=["publish"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.exclude(status=Article.Status.ARCHIVED):
            article_archive(article=article, by=request.user)
            count += 1
        self.message_user(request, f"Archived {count} item(s).", messages.SUCCESS)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)
