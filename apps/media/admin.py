"""The media library in the admin: upload, find, describe, and delete what nothing uses.

Uploads go through ``media_upload`` from the add form's validation, so each
refusal (too large, not an accepted type, damaged, too many pixels, no alt
text, the storage down) is a form error that says why, never a 500; changes
and deletions go through the other services. Authors see what they uploaded,
editors and administrators everything (``media_list_visible``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.siteadmin.audited import ServiceAuditedModelAdmin

from .models import MediaItem
from .selectors import media_list_visible, media_usages
from .services import (
    ACCEPTED,
    MEDIA_FIELDS,
    MediaInUse,
    MediaRefused,
    media_delete,
    media_extension_disagrees,
    media_in_use,
    media_update,
    media_upload,
    medias_delete,
)
from .uploads import media_upload_refusal

THUMBNAIL_BOX = (120, 80)
UPLOAD_FIELD = "upload"
# What the service recorded about the stored file: shown, never edited.
FILE_FACTS = (
    "file_link",
    "kind",
    "original_name",
    "content_type",
    "size_shown",
    "dimensions",
    "checksum",
    "uploaded_by",
    "created_at",
    "updated_at",
)


def _accepted_help() -> str:
    kinds = ", ".join(found.label for found in ACCEPTED)
    return _(
        "%(kinds)s; at most %(limit)d MB. The file's content decides its type, not its name."
    ) % {"kinds": kinds, "limit": settings.MEDIA_MAX_UPLOAD_MB}


class MediaAddForm(forms.ModelForm):
    """The upload form; its validation is the upload, so a refusal is the file field's error."""

    upload = forms.FileField(label=gettext_lazy("File"), required=False)

    # Set per request by MediaItemAdmin.get_form.
    uploader: Any = None
    arrival_refusal: MediaRefused | None = None

    class Meta:
        model = MediaItem
        fields = ("title", "alt_text", "caption")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uploaded: MediaItem | None = None
        self.fields[UPLOAD_FIELD].help_text = _accepted_help()
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Leave empty to use the file's name.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.arrival_refusal is not None:
            self.add_error(UPLOAD_FIELD, self.arrival_refusal)
            return cleaned
        if not cleaned.get(UPLOAD_FIELD):
            if UPLOAD_FIELD not in self.errors:
                self.add_error(
                    UPLOAD_FIELD,
                    forms.ValidationError(_("Choose a file to upload."), code="required"),
                )
            return cleaned
        if self.errors:
            return cleaned
        try:
            self.uploaded = media_upload(
                file=cleaned[UPLOAD_FIELD],
                title=cleaned.get("title") or "",
                alt_text=cleaned.get("alt_text") or "",
                caption=cleaned.get("caption") or "",
                by=self.uploader,
            )
        except MediaRefused as refusal:
            field = refusal.field if refusal.field in self.fields else UPLOAD_FIELD
            self.add_error(UPLOAD_FIELD if field == "file" else field, refusal)
        return cleaned


class MediaChangeForm(forms.ModelForm):
    class Meta:
        model = MediaItem
        fields = ("title", "alt_text", "caption")

    def clean_alt_text(self) -> str:
        alt_text = self.cleaned_data.get("alt_text", "").strip()
        if self.instance.is_image and not alt_text:
            raise forms.ValidationError(
                _(
                    "Alt text is required for images: say what the image shows, for those who "
                    "cannot see it."
                ),
                code="alt_text",
            )
        return alt_text


def _fitted(item: MediaItem, box: tuple[int, int]) -> tuple[int, int]:
    """The item's pixel size scaled into ``box`` (the img's width/height attributes)."""
    if not (item.width and item.height):
        return box
    scale = min(box[0] / item.width, box[1] / item.height, 1)
    return max(1, round(item.width * scale)), max(1, round(item.height * scale))


@admin.register(MediaItem)
class MediaItemAdmin(ServiceAuditedModelAdmin):
    list_display = (
        "thumbnail",
        "title",
        "kind",
        "dimensions",
        "size_shown",
        "uploaded_by",
        "created_at",
    )
    list_display_links = ("thumbnail", "title")
    list_filter = ("kind", ("uploaded_by", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("title", "alt_text", "original_name")
    list_select_related = ("uploaded_by",)
    date_hierarchy = "created_at"
    list_per_page = 50
    readonly_fields = ("preview", "usages", *FILE_FACTS)

    class Media:
        css = {"all": ("media_library/admin.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[MediaItem]:
        # The list's thumbnails read each item's renditions: one query for all of them.
        items = super().get_queryset(request).prefetch_related("renditions")
        return media_list_visible(user=request.user, items=items)

    def get_fieldsets(self, request: HttpRequest, obj: MediaItem | None = None):
        if obj is None:
            return ((None, {"fields": (UPLOAD_FIELD, "title", "alt_text", "caption")}),)
        return (
            (None, {"fields": ("preview", "title", "alt_text", "caption")}),
            (_("Where it is used"), {"fields": ("usages",)}),
            (_("File"), {"fields": FILE_FACTS}),
        )

    def get_form(self, request: HttpRequest, obj: MediaItem | None = None, change: bool = False,
                 **kwargs: Any):  # fmt: skip
        kwargs["form"] = MediaChangeForm if obj is not None else MediaAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.uploader = request.user
            form.arrival_refusal = media_upload_refusal(request=request, field_name=UPLOAD_FIELD)
        return form

    def save_model(self, request: HttpRequest, obj: MediaItem, form, change: bool) -> None:
        if change:
            fields = {
                name: form.cleaned_data[name] for name in form.changed_data if name in MEDIA_FIELDS
            }
            media_update(item=obj, by=request.user, **fields)
            return
        uploaded = form.uploaded
        # The admin goes on with its own instance (the redirect, "Save and continue editing").
        obj.pk = uploaded.pk
        obj.refresh_from_db()
        obj._state.adding = False
        if media_extension_disagrees(item=obj):
            self.message_user(
                request,
                _(
                    "“%(name)s” is named like another kind of file, but its content is "
                    "%(type)s: it was stored as that, as %(stored)s."
                )
                % {"name": obj.original_name, "type": obj.content_type, "stored": obj.file.name},
                messages.WARNING,
            )

    def delete_model(self, request: HttpRequest, obj: MediaItem) -> None:
        media_delete(item=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[MediaItem]) -> None:
        medias_delete(items=queryset, by=request.user)

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Django's confirmation page, with the articles that use an item as protected.

        Listed as protected, they stop the deletion on that page (the single
        delete and the bulk action alike) and say where each item is used.
        """
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected)
        for item, articles in media_in_use(items=objs).items():
            for article in articles:
                protected.append(
                    format_html(_("“{}” is used by {}"), item, self._article_link(article))
                )
        return deleted, counts, perms_needed, protected

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # Put in use between the confirmation page and the deletion: refused all the same.
        try:
            return super().delete_view(request, object_id, extra_context)
        except MediaInUse as refusal:
            self.message_user(request, " ".join(refusal.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def response_action(self, request: HttpRequest, queryset) -> HttpResponse | None:
        try:
            return super().response_action(request, queryset)
        except MediaInUse as refusal:
            self.message_user(request, " ".join(refusal.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _article_link(self, article: Any) -> str:
        try:
            url = reverse("admin:content_article_change", args=[article.pk])
        except NoReverseMatch:
            return format_html("“{}”", article)
        return format_html('<a href="{}">“{}”</a>', url, article)

    @admin.display(description="")
    def thumbnail(self, obj: MediaItem) -> str:
        url = obj.thumbnail_url()
        if not url:
            return format_html('<span class="media-library-document">{}</span>', "PDF")
        width, height = _fitted(obj, THUMBNAIL_BOX)
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}" loading="lazy" '
            'class="media-library-thumbnail">',
            url,
            width,
            height,
        )

    @admin.display(description=gettext_lazy("Picture"))
    def preview(self, obj: MediaItem) -> str:
        if not obj.is_image:
            return format_html('<a href="{}" download>{}</a>', obj.file.url, obj.original_name)
        width, height = _fitted(obj, (480, 360))
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" class="media-library-preview">',
            obj.file.url,
            obj.alt_text,
            width,
            height,
        )

    @admin.display(description=gettext_lazy("Used by"))
    def usages(self, obj: MediaItem) -> str:
        articles = list(media_usages(item=obj))
        if not articles:
            return _("No article uses it.")
        return format_html(
            '<ul class="media-library-usages">{}</ul>',
            format_html_join("", "<li>{}</li>", ((self._article_link(a),) for a in articles)),
        )

    @admin.display(description=gettext_lazy("File"))
    def file_link(self, obj: MediaItem) -> str:
        return format_html('<a href="{}">{}</a>', obj.file.url, obj.file.name)

    @admin.display(description=gettext_lazy("Size"), ordering="size")
    def size_shown(self, obj: MediaItem) -> str:
        return filesizeformat(obj.size)

    @admin.display(description=gettext_lazy("Pixels"))
    def dimensions(self, obj: MediaItem) -> str:
        return f"{obj.width} x {obj.height}" if obj.width and obj.height else "—"
