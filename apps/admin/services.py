"""Writes to the audit history and the site settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models

from .models import AuditEntry, SiteSettings
from .request_context import current_origin

ACTION_BY_FLAG = {
    ADDITION: AuditEntry.Action.ADDED,
    CHANGE: AuditEntry.Action.CHANGED,
    DELETION: AuditEntry.Action.DELETED,
}


def history_record(
    *,
    action: str,
    actor: Any = None,
    actor_name: str = "",
    target: models.Model | None = None,
    message: str = "",
) -> AuditEntry:
    """Record one event; with a target, also in Django's LogEntry (the object's History).

    The IP address and user agent come from the request being served, if any.
    """
    log_entry = None
    if target is not None and actor is not None and actor.pk is not None:
        flag = {AuditEntry.Action.ADDED: ADDITION, AuditEntry.Action.DELETED: DELETION}.get(
            action, CHANGE
        )
        log_entry = LogEntry.objects.log_actions(
            user_id=actor.pk,
            queryset=[target],
            action_flag=flag,
            change_message=message,
            single_object=True,
        )
    summary = message
    if target is not None:
        summary = f"{target._meta.verbose_name} “{target}”" + (f": {message}" if message else "")
    return _save(action=action, actor=actor, actor_name=actor_name, log_entry=log_entry,
                 summary=summary)  # fmt: skip


def history_record_log_entries(*, entries: Iterable[LogEntry], actor: Any) -> list[AuditEntry]:
    """Add the origin to what Django's admin has just written to LogEntry."""
    recorded = []
    for entry in entries:
        action = ACTION_BY_FLAG.get(entry.action_flag, AuditEntry.Action.CHANGED)
        if entry.content_type_id and entry.content_type.model_class() is SiteSettings:
            action = AuditEntry.Action.SETTINGS
        summary = (
            f"{entry.content_type.name if entry.content_type_id else ''} “{entry.object_repr}”"
        )
        message = entry.get_change_message()
        if message and message != "No fields changed.":
            summary = f"{summary}: {message}"
        recorded.append(
            _save(
                action=action,
                actor=actor,
                log_entry=entry if entry.pk else None,
                summary=summary,
            )
        )
    return recorded


def _save(
    *, action: str, actor: Any, log_entry: LogEntry | None, summary: str, actor_name: str = ""
) -> AuditEntry:
    origin = current_origin()
    authenticated = actor is not None and actor.pk is not None
    return AuditEntry.objects.create(
        action=action,
        actor=actor if authenticated else None,
        actor_name=(actor_name or (actor.get_username() if authenticated else ""))[:150],
        ip=origin.ip,
        user_agent=origin.user_agent,
        log_entry=log_entry,
        summary=summary[:300],
    )


def site_settings_update(*, by: Any, **fields: Any) -> SiteSettings:
    """Change site settings outside the admin (the admin's own saves are audited there)."""
    current = SiteSettings.objects.get_or_create(pk=1)[0]
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    for name in changed:
        setattr(current, name, fields[name])
    current.full_clean()
    current.save()
    if changed:
        history_record(
            action=AuditEntry.Action.SETTINGS,
            actor=by,
            target=current,
            message="Changed " + ", ".join(changed) + ".",
        )
    return current
