"""Rate limits for signing in and resetting passwords, per IP and per account.

Counting per IP stops one machine trying many accounts; counting per account
stops many machines (a botnet) trying one. The counters live in the cache
named by RATELIMIT_USE_CACHE ("ratelimit"), which every worker shares, and
are kept by django-ratelimit; this module only adds what a 429 needs: how
long until the window ends, for the Retry-After header.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


def _folded(text: str) -> str:
    """NFKC, as Django normalises user names, then case-folded (full-width ``R`` → ``r``)."""
    return unicodedata.normalize("NFKC", text.strip()).casefold()[:254]


def _account_key(group: str, request: HttpRequest) -> str:
    """The sign-in form's account: the user it would authenticate as, else the folded name.

    Keyed on the primary key when the name finds an account, so every spelling
    the form and the database accept as that account (full-width letters,
    another case, MariaDB's accents) shares its counter; unknown names are
    limited under their folded spelling.
    """
    from .selectors import user_for_sign_in_name  # the models are not ready at import

    name = str(request.POST.get("username", ""))
    user = user_for_sign_in_name(name=name)
    return f"user:{user.pk}" if user is not None else f"name:{_folded(name)}"


def _code_account_key(group: str, request: HttpRequest) -> str:
    """The account a two-factor code is for: the pending sign-in's, or the signed-in user's."""
    from .two_factor_views import pending_user_pk

    return f"user:{pending_user_pk(request)}"


def _signed_in_key(group: str, request: HttpRequest) -> str:
    """The signed-in account, whose current password the form asks for."""
    return f"user:{request.user.pk}"


def _email_key(group: str, request: HttpRequest) -> str:
    """The reset form's address, folded as Django compares it before sending the mail."""
    return _folded(str(request.POST.get("email", "")))


@dataclass(frozen=True)
class Rule:
    group: str
    key: object
    rate_setting: str


LOGIN_RULES = (
    Rule("users.login.ip", "ip", "LOGIN_RATE_PER_IP"),
    Rule("users.login.account", _account_key, "LOGIN_RATE_PER_ACCOUNT"),
)
# Codes count like passwords, under the same rates, on counters of their own.
TWO_FACTOR_RULES = (
    Rule("users.two_factor.ip", "ip", "LOGIN_RATE_PER_IP"),
    Rule("users.two_factor.account", _code_account_key, "LOGIN_RATE_PER_ACCOUNT"),
)
# The current password asked by the profile (a new address) and the password
# change: from a stolen session these would be guesses at the account's
# password, so they count like sign-ins, on counters of their own.
CURRENT_PASSWORD_RULES = (
    Rule("users.current_password.ip", "ip", "LOGIN_RATE_PER_IP"),
    Rule("users.current_password.account", _signed_in_key, "LOGIN_RATE_PER_ACCOUNT"),
)
PASSWORD_RESET_RULES = (
    Rule("users.password_reset.ip", "ip", "PASSWORD_RESET_RATE_PER_IP"),
    Rule("users.password_reset.account", _email_key, "PASSWORD_RESET_RATE_PER_ACCOUNT"),
)


def throttle_check(*, request: HttpRequest, rules: tuple[Rule, ...]) -> int | None:
    """Count this POST against every rule; return seconds to wait if any is exceeded.

    Every rule is counted even when an earlier one already refuses, so that a
    client hammering while limited keeps its own window full.
    """
    if request.method != "POST":
        return None
    wait = None
    for rule in rules:
        usage = get_usage(
            request,
            group=rule.group,
            key=rule.key,
            # settings/base.py always sets them (from LOGIN_RATE_PER_IP and the others).
            rate=getattr(settings, rule.rate_setting),
            method="POST",
            increment=True,
        )
        if usage is not None and usage["should_limit"]:
            wait = max(wait or 0, int(usage["time_left"]) or 1)
    return wait


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    """429 with Retry-After and a page a person can read."""
    response = render(
        request, "429.html", {"retry_after": retry_after, "retry_minutes": -(-retry_after // 60)},
        status=429,
    )  # fmt: skip
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
