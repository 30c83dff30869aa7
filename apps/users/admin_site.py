"""Django's admin site with the two-factor rule (``two_factor_gate``) in its permission check.

``has_permission`` is what every admin view asks before it opens (``admin_view``)
and what the index and the login page ask too, so one override covers the
whole admin, the operations page included. The login view is Django's own,
with one change: a correct password for an account with an authenticator
leads to the code page instead of signing in (``SecondFactorStep``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .selectors import Gate, two_factor_gate


class AdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and two_factor_gate(request=request) == Gate.OPEN

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """Django's ``AdminSite.login``, sending staff who owe a second factor where they owe it."""
        from django.contrib.admin.forms import AdminAuthenticationForm

        from .views import AdminLoginView

        index_path = reverse("admin:index", current_app=self.name)
        user = request.user
        if request.method == "GET" and user.is_active and user.is_staff:
            gate = two_factor_gate(request=request)
            if gate == Gate.OPEN:
                return HttpResponseRedirect(index_path)
            page = "users:two_factor_verify" if gate == Gate.VERIFY else "users:two_factor_setup"
            target = request.GET.get(REDIRECT_FIELD_NAME) or index_path
            return HttpResponseRedirect(f"{reverse(page)}?{urlencode({'next': target})}")

        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = index_path
        context.update(extra_context or {})
        request.current_app = self.name
        return AdminLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
        )(request)
