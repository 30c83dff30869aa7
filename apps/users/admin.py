"""People in the admin: Django's user pages, saving through the users services.

Each page keeps Django's forms, validation and messages; what the forms
would store themselves (the model form's save, its many-to-many save, the
password form's save) goes to a service instead, which records the act once
(history and the user's History page), so Django's own log hooks write nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.siteadmin.audited import ServiceAuditedModelAdmin

from .models import User
from .services import (
    ADMIN_FIELDS,
    user_create,
    user_delete,
    user_set_password,
    user_update_by_admin,
    users_delete,
)
from .two_factor import two_factor_reset

# django-otp's own device pages would edit secrets and backup codes past the
# services and the history (and show the secrets): the user page's
# "Reset two-factor sign-in" action is the one way an administrator changes them.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)

# Who is on the password page: Django's view builds the form from the account
# and the POST data alone, and calls its save() itself.
_password_changed_by: ContextVar[Any] = ContextVar("password_changed_by")


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    """Django's admin password form, saving through ``user_set_password``.

    ``commit`` is ignored: the service always stores, and nothing calls this
    form but ``UserAdmin.user_change_password``, which says who is acting.
    """

    def save(self, commit: bool = True) -> Any:
        password = (
            self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        )
        return user_set_password(user=self.user, by=_password_changed_by.get(), password=password)


@admin.register(User)
class UserAdmin(ServiceAuditedModelAdmin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (gettext_lazy("Profile"), {"fields": ("display_name",)}),
    )
    list_display = (
        "username", "email", "display_name", "is_staff", "two_factor", "is_active", "last_login",
    )  # fmt: skip
    actions = ["reset_two_factor"]
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    change_password_form = ServicePasswordChangeForm

    # Superuser status and superusers' accounts are for superusers alone; the
    # services refuse the same, whichever way in (user_update_by_admin & co.).
    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, "is_superuser")

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_act_on(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_act_on(request, obj)

    @staticmethod
    def _may_act_on(request: HttpRequest, obj: User | None) -> bool:
        return obj is None or not obj.is_superuser or request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        authenticator = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_two_factor=Exists(authenticator))

    @admin.display(boolean=True, description=gettext_lazy("two-factor"), ordering="has_two_factor")
    def two_factor(self, obj: User) -> bool:
        return obj.has_two_factor

    @admin.action(
        description=gettext_lazy("Reset two-factor sign-in of selected users"),
        permissions=["change"],
    )
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """For a lost phone: their authenticator and backup codes go; each reset is recorded."""
        if not request.user.is_superuser:
            # A superuser's account, second factor included, is for superusers alone.
            if skipped := [user.get_username() for user in queryset if user.is_superuser]:
                self.message_user(
                    request,
                    _(
                        "Only a superuser may reset a superuser's two-factor sign-in: "
                        "%(names)s left as they were."
                    )
                    % {"names": ", ".join(skipped)},
                    messages.WARNING,
                )
            queryset = queryset.filter(is_superuser=False)
        reset = [user for user in queryset if two_factor_reset(user=user, by=request.user)]
        if not reset:
            said = _("Two-factor sign-in reset for nobody (none had it).")
        else:
            names = ", ".join(user.get_username() for user in reset)
            said = _("Two-factor sign-in reset for %(names)s.") % {"names": names}
        self.message_user(request, said, messages.SUCCESS)

    def save_form(self, request: HttpRequest, form, change: bool) -> User:
        # The form has already copied its values onto its instance while
        # validating; its save(commit=False) would only hash the new password
        # a second time (the service hashes it).
        return form.instance

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        data = form.cleaned_data
        if change:
            # Groups and permissions too: the service records them in the same act.
            changed = {name: data[name] for name in form.changed_data if name in ADMIN_FIELDS}
            user_update_by_admin(user=obj, by=request.user, **changed)
            return
        password = data["password1"] if data["set_usable_password"] else None
        created = user_create(username=data["username"], password=password, by=request.user)
        # The admin goes on with its own instance (the redirect to the change page).
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # No form.save_m2m(): save_model has given the groups and permissions
        # to the service, which records them with the rest of the change.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        token = _password_changed_by.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_changed_by.reset(token)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users_delete(users=queryset, by=request.user)
