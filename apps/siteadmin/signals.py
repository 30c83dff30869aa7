"""Sign-ins, failed sign-ins and sign-outs, for the audit history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AuditEntry
from .services import history_record


@receiver(user_logged_in, dispatch_uid="siteadmin.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    history_record(action=AuditEntry.Action.LOGIN, actor=user, message=f"at {request.path}")


@receiver(user_logged_out, dispatch_uid="siteadmin.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        history_record(action=AuditEntry.Action.LOGOUT, actor=user, message=f"at {request.path}")


@receiver(user_login_failed, dispatch_uid="siteadmin.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # Django has already masked the password in ``credentials``; only the name is kept.
    tried = str(credentials.get("username") or credentials.get("email") or "")
    history_record(action=AuditEntry.Action.LOGIN_FAILED, actor_name=tried,
                   message=f"Failed sign-in as “{tried[:100]}”.")  # fmt: skip
