"""Every write to accounts goes through here, so a grep finds each way a user changes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from apps.admin.models import AuditEntry
from apps.admin.services import history_record
from filamenta.caching import version_bump

BATCH = 500


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
