"""Sign-in, password and profile pages, on Django's auth views.

Django's views already refuse ``next=`` URLs to other hosts
(``url_has_allowed_host_and_scheme``); these subclasses add rate limits and
the audit history.
"""

from __future__ import annotations

import functools

from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.services import history_record

from .forms import ProfileForm
from .outbox import mail_after_commit
from .services import password_reset_send, user_set_password, user_update
from .throttle import (
    CURRENT_PASSWORD_RULES,
    LOGIN_RULES,
    PASSWORD_RESET_RULES,
    Rule,
    throttle_check,
    too_many_requests,
)
from .two_factor_views import SecondFactorStep


class InvalidFormIs400:
    """A form sent with errors answers 400, so clients and monitors see the refusal."""

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class Throttled:
    """Refuse a POST over any of ``throttle_rules`` with a 429 before the form is read."""

    throttle_rules: tuple[Rule, ...] = ()

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if wait := throttle_check(request=request, rules=self.throttle_rules):
            return too_many_requests(request, retry_after=wait)
        return super().post(request, *args, **kwargs)


class LoginView(Throttled, InvalidFormIs400, SecondFactorStep, auth_views.LoginView):
    throttle_rules = LOGIN_RULES
    redirect_authenticated_user = True


class AdminLoginView(SecondFactorStep, auth_views.LoginView):
    """The admin's sign-in form (``AdminSite.login`` in admin_site.py), with the code step."""


@sensitive_post_parameters()
@csrf_protect
@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own sign-in page, under the same limits as the site's, then the code step."""
    if wait := throttle_check(request=request, rules=LOGIN_RULES):
        return too_many_requests(request, retry_after=wait)
    return admin.site.login(request)


class PasswordResetView(Throttled, InvalidFormIs400, auth_views.PasswordResetView):
    throttle_rules = PASSWORD_RESET_RULES

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        # Recorded whether or not the address has an account: the page says
        # the same either way, so the history must not be the one to tell.
        history_record(
            action=AuditEntry.Action.PASSWORD_RESET,
            actor=self.request.user if self.request.user.is_authenticated else None,
            actor_name=email[:150],
            message="Password reset requested.",
        )
        # Not Django's form.save(): finding the account and mailing it here
        # made the answer slower for addresses that have one. Both answers
        # now do exactly this; the lookup and the mail follow in the
        # background (apps/users/outbox.py).
        job = functools.partial(
            password_reset_send,
            email=email,
            domain=get_current_site(self.request).domain,
            use_https=self.request.is_secure(),
            # The mail thread has no request: it writes in the reader's language.
            language=translation.get_language(),
        )
        mail_after_commit(job, what="a password reset mail")
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeView(Throttled, InvalidFormIs400, auth_views.PasswordChangeView):
    throttle_rules = CURRENT_PASSWORD_RULES

    def form_valid(self, form):
        # Django's form.save() would write the user itself; the service records it once.
        user_set_password(
            user=form.user, by=self.request.user, password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(self.request, form.user)  # stay signed in, as Django does
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(InvalidFormIs400, auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        # As Django's, with the write through the service (post_reset_login is off).
        user_set_password(user=form.user, by=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    # Only a POST that carries the current password (a new address) is a guess.
    if request.POST.get("current_password") and (
        wait := throttle_check(request=request, rules=CURRENT_PASSWORD_RULES)
    ):
        return too_many_requests(request, retry_after=wait)
    if request.method == "POST":
        if form.is_valid():
            user_update(user=request.user, by=request.user, **form.profile_changes())
            messages.success(request, _("Your profile is saved."))
            return redirect("users:profile")
        return render(request, "users/profile.html", {"form": form}, status=400)
    return render(request, "users/profile.html", {"form": form})
