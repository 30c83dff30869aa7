"""Writes to the audit history and the site settings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import translation
from django.utils.text import capfirst, get_text_list

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
    """Record one event; with a target, on that object's History page too.

    The entry holds the object itself, so the page keeps it whoever is
    deleted later; Django's LogEntry is written beside it (when someone
    acted) for what else reads it, such as the admin's "Recent actions". The
    IP address and user agent come from the request being served, if any.
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
    about: dict[str, Any] = {}
    if target is not None:
        # Records are written once and read by anyone: in the code's words (English),
        # whatever the language of the person acting, as the messages themselves are.
        with translation.override(None):
            name = str(target._meta.verbose_name)
        summary = f"{name} “{target}”" + (f": {message}" if message else "")
        # As LogEntry and the admin's history_view name it: the proxy's own type.
        content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        about = {"content_type_id": content_type.pk, "object_id": str(target.pk),
                 "object_repr": str(target), "message": message}  # fmt: skip
    return _save(action=action, actor=actor, actor_name=actor_name, log_entry=log_entry,
                 summary=summary, **about)  # fmt: skip


@transaction.atomic
def audited_delete(*, target: models.Model, by: Any) -> None:
    """Delete a row, recorded first: the history's LogEntry needs the row to name it."""
    history_record(action=AuditEntry.Action.DELETED, actor=by, target=target)
    target.delete()


@transaction.atomic
def audited_update(
    *,
    instance: models.Model,
    by: Any,
    fields: dict[str, Any],
    allowed: frozenset[str],
    also_save: Iterable[str] = (),
) -> list[str]:
    """Set the ``fields`` that differ from the stored row, save them, record one "changed" entry.

    For models whose edit is no more than that (sections, tags): an unknown
    field is a TypeError naming it, the row is locked while compared, and
    nothing changed writes nothing. Returns the names that changed.
    """
    model = type(instance)
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(
            f"{model._meta.verbose_name_plural} have no editable field(s) {sorted(unknown)}"
        )
    stored = model._default_manager.select_for_update().get(pk=instance.pk)
    changed = model_changed_fields(instance=instance, stored=stored, fields=fields)
    if not changed:
        return []
    for name in changed:
        setattr(instance, name, fields[name])
    instance.full_clean()
    instance.save(update_fields={*changed, *also_save})
    history_record(
        action=AuditEntry.Action.CHANGED,
        actor=by,
        target=instance,
        message=history_change_message(model=model, fields=changed),
    )
    return changed


@transaction.atomic
def audited_delete_many(*, targets: Iterable[models.Model], by: Any) -> int:
    """Delete several rows (the admin's "delete selected"): each recorded, all or none."""
    count = 0
    for target in targets:
        audited_delete(target=target, by=by)
        count += 1
    return count


def history_record_log_entries(*, entries: Iterable[LogEntry], actor: Any) -> list[AuditEntry]:
    """Record what Django's admin has just written to LogEntry, with its object and origin."""
    recorded = []
    for entry in entries:
        action = ACTION_BY_FLAG.get(entry.action_flag, AuditEntry.Action.CHANGED)
        # In English, as history_record writes (Django's LogEntry translates when read).
        with translation.override(None):
            kind = str(entry.content_type.name) if entry.content_type_id else ""
            message = entry.get_change_message()
        summary = f"{kind} “{entry.object_repr}”"
        if message and message != "No fields changed.":
            summary = f"{summary}: {message}"
        recorded.append(
            _save(
                action=action,
                actor=actor,
                log_entry=entry if entry.pk else None,
                summary=summary,
                content_type_id=entry.content_type_id,
                object_id=entry.object_id or "",
                object_repr=entry.object_repr,
                message=message,
            )
        )
    return recorded


def _save(
    *,
    action: str,
    actor: Any,
    log_entry: LogEntry | None,
    summary: str,
    actor_name: str = "",
    content_type_id: int | None = None,
    object_id: str = "",
    object_repr: str = "",
    message: str = "",
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
        content_type_id=content_type_id,
        object_id=object_id[:255],
        object_repr=object_repr[:200],
        message=message,
    )


def history_change_message(*, model: type[models.Model], fields: Iterable[str]) -> str:
    """ "Changed Title and Body.": the wording of Django's own admin messages, for History."""
    # In English whatever the request's language, as every recorded message (history_record).
    with translation.override(None):
        names = [str(capfirst(model._meta.get_field(name).verbose_name)) for name in fields]
        return f"Changed {get_text_list(names, 'and')}."


def model_changed_fields(
    *, instance: models.Model, stored: models.Model | None, fields: dict[str, Any]
) -> list[str]:
    """The names in ``fields`` whose value differs from the ``stored`` row (all, if none).

    Compared with the stored row, not with ``instance``: a model form has already
    copied its values onto the instance it edits before the service sees it.
    """
    if stored is None:
        return list(fields)

    def plain(value: Any) -> Any:
        return value.pk if isinstance(value, models.Model) else value

    changed = []
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        if getattr(stored, field.attname) != plain(value):
            changed.append(name)
    return changed


SITE_SETTINGS_FIELDS = frozenset(
    {
        "site_name",
        "tagline",
        "contact_email",
        "items_per_page",
        "feed_items",
        "allow_external_images",
    }
)


@transaction.atomic
def site_settings_update(*, by: Any, **fields: Any) -> SiteSettings:
    """Change the site settings; the one way in, for the admin and for code alike.

    Recorded once in the history as a settings change; the save invalidates
    every cached page (they all show the site name). Stores the row if a
    database was built without it.
    """
    unknown = set(fields) - SITE_SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"site settings have no editable field(s) {sorted(unknown)}")
    stored = SiteSettings.objects.select_for_update().filter(pk=1).first()
    current = stored or SiteSettings(pk=1)
    changed = model_changed_fields(instance=current, stored=stored, fields=fields)
    if stored is not None and not changed:
        return current
    for name in changed:
        setattr(current, name, fields[name])
    current.full_clean()
    current.save()
    history_record(
        action=AuditEntry.Action.SETTINGS,
        actor=by,
        target=current,
        message=history_change_message(model=SiteSettings, fields=changed)
        if changed
        else "Stored the defaults.",
    )
    return current
