"""Reads of accounts, for the views and the rate limits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice


def user_for_sign_in_name(*, name: str) -> Any | None:
    """The account a sign-in with ``name`` would authenticate as, or the one it names.

    First the backend's own lookup (``get_by_natural_key`` on the normalised
    name), so whatever the database's collation matches — MariaDB's ignores
    accents and case — is the same account here as there. Else a unique
    case-insensitive match, so that spellings which differ only in case count
    against the account they name even where they cannot sign in.
    """
    User = get_user_model()
    normalised = User.normalize_username(name.strip())
    field = User._meta.get_field(User.USERNAME_FIELD)
    # Nothing longer than the column, or with a NUL (PostgreSQL refuses it), can name anyone.
    if not normalised or len(normalised) > field.max_length or "\x00" in normalised:
        return None
    try:
        return User._default_manager.get_by_natural_key(normalised)
    except User.DoesNotExist:
        pass
    matches = list(
        User._default_manager.filter(**{f"{User.USERNAME_FIELD}__iexact": normalised})[:2]
    )
    return matches[0] if len(matches) == 1 else None


def two_factor_enabled(*, user: Any) -> bool:
    """Has this person a confirmed authenticator (so signing in asks for its code)?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_backup_codes_left(*, user: Any) -> int:
    """How many unused backup codes this person has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


class Gate:
    """What the admin needs of a signed-in person before it opens (``two_factor_gate``)."""

    OPEN = "open"
    VERIFY = "verify"  # has an authenticator, not used in this session
    SETUP = "setup"  # staff under STAFF_REQUIRE_2FA without an authenticator


def two_factor_gate(*, request: Any) -> str:
    """OPEN, VERIFY or SETUP for ``request.user``: the admin's two-factor rule in one place.

    A session that signed in with the second factor is open; one that has an
    authenticator but did not use it (signed in before it was set up, or in
    a test by ``force_login``) must give a code; staff without one must set
    one up when STAFF_REQUIRE_2FA is on.
    """
    user = request.user
    if not user.is_authenticated:
        return Gate.OPEN
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return Gate.OPEN
    if two_factor_enabled(user=user):
        return Gate.VERIFY
    if user.is_staff and settings.STAFF_REQUIRE_2FA:
        return Gate.SETUP
    return Gate.OPEN
