"""The pages of two-factor sign-in: the code step of signing in, set-up, and one's own settings.

Signing in with an authenticator is two steps. The password step
(``SecondFactorStep`` on both login pages) signs no one in: it keeps the
account in the session as *pending* and sends the browser to the code page,
which signs in only when the code is right, so a stolen password alone opens
nothing, not even the public site's account pages. Code attempts count
against the account and the IP under the sign-in rates (``TWO_FACTOR_RULES``).
"""

from __future__ import annotations

import time
from base64 import b32encode
from typing import Any

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from .selectors import (
    Gate,
    two_factor_backup_codes_left,
    two_factor_enabled,
    two_factor_gate,
)
from .throttle import TWO_FACTOR_RULES, throttle_check, too_many_requests
from .two_factor import (
    two_factor_backup_codes_renew,
    two_factor_begin,
    two_factor_reset,
    two_factor_setup,
    two_factor_verify,
)

PENDING = "two_factor_pending"
# Past this a half-done sign-in starts again from the password.
PENDING_SECONDS = 600
# django-otp also refuses a right code for a few seconds after a wrong one.
WRONG_CODE = gettext_lazy(
    "That code is not right, or was used already. Wait a few seconds and try the next one."
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy(
            "The six digits your authenticator app shows, or one of your backup codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SecondFactorStep:
    """For a login view: a right password for an account with an authenticator asks for its code."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not two_factor_enabled(user=user):
            return super().form_valid(form)
        # A new session key, as Django's login() would give: the pending
        # account is never held under a key chosen before the password.
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "since": int(time.time()),
        }
        return redirect("users:two_factor_verify")


def pending_user_pk(request: HttpRequest) -> int | None:
    """The account whose code this request is about: pending sign-in, or the signed-in user."""
    pending = request.session.get(PENDING)
    if pending and time.time() - pending["since"] <= PENDING_SECONDS:
        return pending["user"]
    if request.user.is_authenticated:
        return request.user.pk
    return None


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _private(response: HttpResponse) -> HttpResponse:
    """Secrets and codes on these pages: never stored by a browser or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The code step: after the password, or for a session that has not used its authenticator."""
    pending = request.session.get(PENDING)
    if pending and time.time() - pending["since"] > PENDING_SECONDS:
        del request.session[PENDING]
        pending = None
    if pending:
        user = auth.get_user_model()._default_manager.filter(pk=pending["user"]).first()
        next_url = pending["next"]
    elif request.user.is_authenticated and two_factor_gate(request=request) == Gate.VERIFY:
        user, next_url = request.user, _next(request, reverse("admin:index"))
    else:
        return redirect(settings.LOGIN_URL)
    if user is None or not user.is_active:
        request.session.pop(PENDING, None)
        return redirect(settings.LOGIN_URL)

    form = CodeForm(request.POST or None)
    context = {"form": form, "next": next_url if not pending else ""}
    if request.method != "POST":
        return _private(render(request, "users/two_factor_verify.html", context))
    if wait := throttle_check(request=request, rules=TWO_FACTOR_RULES):
        return too_many_requests(request, retry_after=wait)
    if form.is_valid():
        device = two_factor_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            if pending:
                del request.session[PENDING]
                auth.login(request, user, backend=pending["backend"])
            else:
                request.session.cycle_key()
            django_otp.login(request, device)
            return HttpResponseRedirect(next_url)
        form.add_error("code", forms.ValidationError(WRONG_CODE, code="wrong_code"))
    return _private(render(request, "users/two_factor_verify.html", context, status=400))


def qr_svg(data: str) -> str:
    """An inline SVG of ``data``: drawn here, no image service, nothing a CSP must allow."""
    qr = segno.make(data, error="m")
    return qr.svg_inline(scale=5, border=4, light="#fff", title=_("QR code to scan"))


@login_required
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code, type the app's first code: the backup codes are shown once, here."""
    next_url = _next(request, reverse("users:two_factor"))
    if two_factor_enabled(user=request.user):
        return redirect("users:two_factor")
    device = two_factor_begin(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = two_factor_setup(user=request.user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            device.refresh_from_db()
            request.session.cycle_key()
            django_otp.login(request, device)
            context = {"codes": codes, "next": next_url}
            return _private(render(request, "users/two_factor_backup_codes.html", context))
        form.add_error("code", forms.ValidationError(WRONG_CODE, code="wrong_code"))
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr": qr_svg(device.config_url),
        # Grouped by four, as authenticator apps accept it typed in by hand.
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": request.user.is_staff and settings.STAFF_REQUIRE_2FA,
    }
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "users/two_factor_setup.html", context, status=status))


@login_required
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def manage(request: HttpRequest) -> HttpResponse:
    """One's own second factor: new backup codes, or remove it (with a code)."""
    user = request.user
    if not two_factor_enabled(user=user):
        return redirect("users:two_factor_setup")
    if two_factor_gate(request=request) == Gate.VERIFY:
        return redirect(f"{reverse('users:two_factor_verify')}?next={reverse('users:two_factor')}")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("action") == "renew":
            codes = two_factor_backup_codes_renew(user=user)
            context = {"codes": codes, "next": reverse("users:two_factor")}
            return _private(render(request, "users/two_factor_backup_codes.html", context))
        if wait := throttle_check(request=request, rules=TWO_FACTOR_RULES):
            return too_many_requests(request, retry_after=wait)
        if form.is_valid() and two_factor_verify(user=user, code=form.cleaned_data["code"]):
            two_factor_reset(user=user, by=user)
            messages.success(request, _("Two-factor sign-in is removed from your account."))
            return redirect("users:profile")
        if form.is_valid():
            form.add_error("code", forms.ValidationError(WRONG_CODE, code="wrong_code"))
    context = {
        "form": form,
        "backup_codes_left": two_factor_backup_codes_left(user=user),
        "required": user.is_staff and settings.STAFF_REQUIRE_2FA,
    }
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "users/two_factor.html", context, status=status))
