"""History (read-only), site settings, and Django's groups with audited changes."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_input import CheckedInputMixin
from .audited import AuditedMixin, ServiceAuditedModelAdmin
from .models import AuditEntry, SiteSettings
from .selectors import site_settings_get
from .services import site_settings_update


@admin.register(AuditEntry)
class AuditEntryAdmin(CheckedInputMixin, admin.ModelAdmin):
    """History is evidence: it can be read and filtered, never written from here."""

    list_display = ("created_at", "action", "actor_display", "summary", "ip", "target_type")
    list_filter = ("action", "created_at", "content_type")
    search_fields = ("actor_name", "summary", "ip", "user_agent")
    list_select_related = ("actor", "content_type")
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = (
        "created_at",
        "action",
        "actor",
        "actor_name",
        "ip",
        "user_agent",
        "summary",
        "change_link",
    )
    readonly_fields = fields

    @admin.display(description=_("who"), ordering="actor_name")
    def actor_display(self, entry: AuditEntry) -> str:
        return entry.actor_name or "—"

    @admin.display(description=_("type"), ordering="content_type")
    def target_type(self, entry: AuditEntry) -> str:
        return entry.content_type.name if entry.content_type_id else ""

    @admin.display(description=_("object"))
    def change_link(self, entry: AuditEntry) -> str:
        # The entry's own copy: the object, or the person who acted, may be gone.
        if not entry.content_type_id:
            return "—"
        return gettext("%(object)s (id %(id)s)") % {
            "object": entry.object_repr,
            "id": entry.object_id,
        }

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False


@admin.register(SiteSettings)
class SiteSettingsAdmin(ServiceAuditedModelAdmin):
    list_display = ("site_name", "tagline", "contact_email", "items_per_page", "updated_at")
    search_fields = ("site_name", "tagline")
    list_filter = ("updated_at",)
    readonly_fields = ("updated_at",)

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        # A database built without the migrations' row still gets a form of the
        # defaults; saving it stores the row.
        found = super().get_object(request, object_id, from_field)
        if found is None and from_field is None and object_id == "1":
            return site_settings_get()
        return found

    def save_model(self, request: HttpRequest, obj: SiteSettings, form, change: bool) -> None:
        site_settings_update(
            by=request.user, **{name: form.cleaned_data[name] for name in form.changed_data}
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        # There is one row: go straight to it.
        settings_row = site_settings_get()
        if self.has_view_or_change_permission(request, settings_row):
            return HttpResponseRedirect(
                reverse("admin:siteadmin_sitesettings_change", args=[settings_row.pk])
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SiteSettings | None = None) -> bool:
        return False


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedMixin, DjangoGroupAdmin):
    list_display = ("name", "member_count")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(members=Count("user"))

    @admin.display(description=_("members"), ordering="members")
    def member_count(self, group: Group) -> int:
        return group.members
