"""Two-factor sign-in: every write to someone's authenticator and backup codes.

django-otp keeps the devices (a TOTP device per person, RFC 6238, and a
static device holding the one-time backup codes), refuses a code twice
(``last_t``) and slows guessing per device; these services add what the site
promises on top: one authenticator per person, ten backup codes shown once,
and a line in the history for every set-up, backup code used, removal and
refused code.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.services import history_record

from .services import _require_superuser_rights

BACKUP_CODES = 10
AUTHENTICATOR = "Authenticator app"
BACKUP = "Backup codes"


def code_normalised(code: str) -> str:
    """What people type, as the devices compare it: no spaces or dashes, lower case."""
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def two_factor_begin(*, user: Any) -> TOTPDevice:
    """The unconfirmed authenticator someone is setting up, made on the first visit.

    Kept until confirmed, so reloading the set-up page shows the same QR code
    the phone may already have scanned. It verifies nothing until
    ``two_factor_setup`` confirms it (django-otp ignores unconfirmed devices).
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


@transaction.atomic
def two_factor_setup(*, user: Any, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a code from the app; return the ten backup codes, or None.

    The only way an authenticator becomes active: any earlier one of the
    person's is replaced, and so are their backup codes. The codes are
    returned once to be shown once; the database keeps them for checking.
    """
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if not device.verify_token(code_normalised(code)):
        history_record(action=AuditEntry.Action.TWO_FACTOR_FAILED, actor=user,
                       message="Set-up code refused.")  # fmt: skip
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _backup_codes_new(user=user)
    history_record(action=AuditEntry.Action.TWO_FACTOR_ADDED, actor=user, target=user,
                   message="Two-factor sign-in set up with an authenticator app.")  # fmt: skip
    return codes


@transaction.atomic
def two_factor_verify(*, user: Any, code: str) -> Any | None:
    """The device that accepts ``code`` for ``user`` (authenticator or backup code), or None.

    Six digits go to the authenticator, anything else to the backup codes,
    so a guess costs one device's throttle, not both. A backup code is used
    up; a refused code is recorded (the caller has counted the attempt
    against the account's rate limit).
    """
    code = code_normalised(code)
    if code.isdigit():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    for device in devices.select_for_update():
        if device.verify_token(code):
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                history_record(action=AuditEntry.Action.TWO_FACTOR_BACKUP_USED, actor=user,
                               message=f"Backup code used; {left} left.")  # fmt: skip
            return device
    history_record(action=AuditEntry.Action.TWO_FACTOR_FAILED, actor=user,
                   message="Two-factor code refused.")  # fmt: skip
    return None


@transaction.atomic
def two_factor_backup_codes_renew(*, user: Any) -> list[str]:
    """Ten new backup codes for someone signed in with their second factor; the old ones end."""
    codes = _backup_codes_new(user=user)
    history_record(action=AuditEntry.Action.TWO_FACTOR_BACKUP_RENEWED, actor=user, target=user,
                   message="New backup codes; the earlier ones no longer work.")  # fmt: skip
    return codes


@transaction.atomic
def two_factor_reset(*, user: Any, by: Any) -> bool:
    """Remove someone's authenticator and backup codes; True if there was anything to remove.

    By themselves (a lost phone, with a backup code) or by an administrator
    from the user admin. Staff under STAFF_REQUIRE_2FA are then sent to set
    up a new one at their next visit to the admin. Their other sessions
    signed in with the removed device lose it (OTPMiddleware finds no device).
    A superuser's second factor is reset by a superuser only (PermissionDenied),
    as their account is changed by one only.
    """
    if by is not None and by.pk != user.pk:
        _require_superuser_rights(by=by, user=user)
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    removed_codes, _ = StaticDevice.objects.filter(user=user).delete()
    if not (removed or removed_codes):
        return False
    said = (
        "Two-factor sign-in removed."
        if by is not None and by.pk == user.pk
        else f"Two-factor sign-in reset by {by.get_username() if by else 'a script'}."
    )
    history_record(action=AuditEntry.Action.TWO_FACTOR_REMOVED, actor=by, target=user,
                   message=said)  # fmt: skip
    return True


def _backup_codes_new(*, user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
