"""Every write to accounts goes through here, so a grep finds each way a user changes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.services import history_change_message, history_record, model_changed_fields
from filamenta.caching import version_bump

BATCH = 500
# What people may change about themselves (the profile form) or a script may set.
PROFILE_FIELDS = frozenset({"display_name", "first_name", "last_name", "email"})


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str = "",
    password: str | None = None,
    by: Any = None,
    **fields: Any,
) -> Any:
    """Create an account (``password`` None: unusable) and record it as added.

    ``fields`` are further model fields, e.g. ``is_staff=True, is_superuser=True``
    for the set-up script's administrator.
    """
    User = get_user_model()
    user = User(username=username, email=User.objects.normalize_email(email), **fields)
    user.set_password(password)  # None makes the password unusable
    user.full_clean()
    user.save()
    history_record(action=AuditEntry.Action.ADDED, actor=by, target=user, message="Added.")
    return user


@transaction.atomic
def user_update(*, user: Any, by: Any, **fields: Any) -> Any:
    """Change someone's profile, recorded once naming the fields; nothing changed, nothing written.

    Only profile fields: roles, flags and passwords have their own ways in.
    Changes are found against the stored row (a model form has already copied
    its values onto ``user``).
    """
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"user_update cannot change {sorted(unknown)}")
    User = get_user_model()
    stored = User.objects.select_for_update().get(pk=user.pk)
    changed = model_changed_fields(instance=user, stored=stored, fields=fields)
    if not changed:
        return user
    for name in changed:
        setattr(user, name, fields[name])
    user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in changed])
    user.save(update_fields=changed)
    history_record(action=AuditEntry.Action.CHANGED, actor=by, target=user,
                   message=history_change_message(model=User, fields=changed))  # fmt: skip
    return user


@transaction.atomic
def users_create_many(
    *,
    users: Sequence[Any],
    role: str | None = None,
    by: Any = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Insert unsaved users in batches (demo data), optionally in one role; returns the count.

    ``bulk_create`` sends no ``post_save``, so nothing else would tell the
    cached pages (which show authors' names): the ``users.user`` version is
    bumped here, once, when the transaction commits. A user without a password
    gets an unusable one: a bulk-made account must never be a way in.
    """
    User = get_user_model()
    unusable = make_password(None)
    for user in users:
        user.password = user.password or unusable
    for start in range(0, len(users), BATCH):
        batch = list(users[start : start + BATCH])
        User.objects.bulk_create(batch)
        if on_batch is not None:
            on_batch(len(batch))
    if not users:
        return 0
    if role:
        group, _ = Group.objects.get_or_create(name=role)
        # bulk_create sets no primary keys on MariaDB: read them back by name.
        ids = User.objects.filter(username__in=[u.username for u in users]).values_list(
            "pk", flat=True
        )
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [Membership(user_id=pk, group_id=group.pk) for pk in ids], ignore_conflicts=True
        )
    history_record(
        action=AuditEntry.Action.ADDED,
        actor=by,
        message=f"{len(users)} user(s) added in bulk" + (f" as {role}" if role else "") + ".",
    )
    transaction.on_commit(functools.partial(version_bump, name=User._meta.label_lower))
    return len(users)
