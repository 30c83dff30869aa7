"""Every write to accounts goes through here, so a grep finds each way a user changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.selectors import site_settings_get
from apps.siteadmin.services import (
    audited_delete,
    audited_delete_many,
    history_change_message,
    history_record,
    model_changed_fields,
)
from filamenta.caching import version_bump

from .outbox import mail_after_commit

BATCH = 500
# What people may change about themselves (the profile form) or a script may set.
PROFILE_FIELDS = frozenset({"display_name", "first_name", "last_name", "email"})
# Many-to-many (roles and single permissions): what someone may do, set as a whole.
RELATIONS = frozenset({"groups", "user_permissions"})
# What else an administrator may change on the admin's change page; the
# password has its own page and service.
ACCOUNT_FIELDS = frozenset(
    {"username", "is_active", "is_staff", "is_superuser", "last_login", "date_joined"}
)
ADMIN_FIELDS = PROFILE_FIELDS | ACCOUNT_FIELDS | RELATIONS


def _require_superuser_rights(*, by: Any, user: Any, grants_superuser: bool = False) -> None:
    """Refuse a non-superuser who grants superuser status or acts on a superuser's account.

    Superuser status is every permission at once, beyond any role: an
    administrator who could grant it, or set a superuser's password (and sign
    in as them), would be one in all but name. ``by`` None is the set-up
    script or a shell: whoever runs those owns the server already.
    """
    if by is None or by.is_superuser:
        return
    if grants_superuser:
        raise PermissionDenied(_("Only a superuser may grant or revoke superuser status."))
    if user is not None and user.is_superuser:
        raise PermissionDenied(_("Only a superuser may change a superuser's account."))


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
    for the set-up script's administrator. The password must pass the
    validators (``ValidationError``): the set-up script and shells have no form
    that would have checked it.
    """
    User = get_user_model()
    _require_superuser_rights(by=by, user=None, grants_superuser=bool(fields.get("is_superuser")))
    user = User(username=username, email=User.objects.normalize_email(email), **fields)
    if password is not None:
        validate_password(password, user)
    user.set_password(password)  # None makes the password unusable
    user.full_clean()
    user.save()
    history_record(action=AuditEntry.Action.ADDED, actor=by, target=user, message="Added.")
    return user


@transaction.atomic
def user_update(*, user: Any, by: Any, **fields: Any) -> Any:
    """Change someone's profile, recorded once naming the fields; nothing changed, nothing written.

    Only profile fields: this is what people may change about themselves, so
    roles, flags and passwords stay out (``user_update_by_admin``,
    ``user_set_password``).
    """
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise TypeError(f"user_update cannot change {sorted(unknown)}")
    return _user_change(user=user, by=by, fields=fields)


@transaction.atomic
def user_update_by_admin(*, user: Any, by: Any, **fields: Any) -> Any:
    """An administrator's change to an account: profile, flags, roles (groups), permissions.

    One act, so one record naming every field, however many kinds changed;
    nothing changed, nothing written. ``groups`` and ``user_permissions`` are
    the complete new sets. The password is not a field here: it is hashed and
    recorded by ``user_set_password``.
    """
    unknown = set(fields) - ADMIN_FIELDS
    if unknown:
        raise TypeError(f"user_update_by_admin cannot change {sorted(unknown)}")
    return _user_change(user=user, by=by, fields=fields)


def _user_change(*, user: Any, by: Any, fields: dict[str, Any]) -> Any:
    """Store what differs from the stored row and record it once, in the order given.

    Compared with the stored row, not with ``user``: a model form has already
    copied its values onto the instance it edits. Many-to-many sets are
    compared by primary key.
    """
    User = get_user_model()
    stored = User.objects.select_for_update().get(pk=user.pk)
    columns = {name: value for name, value in fields.items() if name not in RELATIONS}
    changed = set(model_changed_fields(instance=user, stored=stored, fields=columns))
    _require_superuser_rights(by=by, user=stored, grants_superuser="is_superuser" in changed)
    for name in RELATIONS & set(fields):
        now = set(getattr(stored, name).values_list("pk", flat=True))
        if now != {related.pk for related in fields[name]}:
            changed.add(name)
    if not changed:
        return user
    saved = [name for name in columns if name in changed]
    for name in saved:
        setattr(user, name, fields[name])
    if saved:
        user.full_clean(exclude=[f.name for f in User._meta.fields if f.name not in saved])
        user.save(update_fields=saved)
    for name in RELATIONS & changed:
        getattr(user, name).set(fields[name])
    in_order = [name for name in fields if name in changed]
    history_record(action=AuditEntry.Action.CHANGED, actor=by, target=user,
                   message=history_change_message(model=User, fields=in_order))  # fmt: skip
    if "email" in changed:
        # The old address hears of it (a stolen session must not move the
        # account quietly); the new one, that it now gets the account's mail.
        old, new = stored.email, user.email
        if old:
            notice_send(template="email_changed", to=old, user=user, old=old, new=new)
        if new:
            notice_send(template="email_added", to=new, user=user, old=old, new=new)
    return user


@transaction.atomic
def user_set_password(*, user: Any, by: Any, password: str | None) -> Any:
    """Set someone's password (hashed; None: password sign-in disabled) and record it once.

    The password must pass the validators (``ValidationError``); the pages'
    forms have checked it already, this is for every other caller. Changes
    ``user`` itself, so the caller can keep its own session with
    ``update_session_auth_hash`` when it is theirs. The account's address is
    told once the change commits: if it was not them, they know to reset it.
    """
    _require_superuser_rights(by=by, user=user)
    if password is not None:
        validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    said = "Password-based authentication disabled." if password is None else "Password changed."
    history_record(action=AuditEntry.Action.PASSWORD_CHANGED, actor=by, target=user, message=said)
    if user.email:
        notice_send(
            template="password_changed", to=user.email, user=user, disabled=password is None
        )
    return user


def user_delete(*, user: Any, by: Any) -> None:
    """Delete an account, recorded in the history first."""
    _require_superuser_rights(by=by, user=user)
    audited_delete(target=user, by=by)


def users_delete(*, users: Iterable[Any], by: Any) -> int:
    """Delete several accounts (the admin's "delete selected"): each recorded, all or none."""
    users = list(users)
    for user in users:
        _require_superuser_rights(by=by, user=user)
    return audited_delete_many(targets=users, by=by)


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
    version_bump(name=User._meta.label_lower)
    return len(users)


def password_reset_send(
    *, email: str, domain: str, use_https: bool, language: str | None = None
) -> None:
    """Mail a reset link to each active account with ``email`` that has a password.

    An address with no account gets nothing, and the caller cannot tell:
    this runs after the answer, in the mail thread (``outbox.mail_after_commit``),
    so the lookup and the mail cost the request nothing. Django's reset form
    picks the accounts (case-insensitive address, active, usable password)
    and builds the link; ``domain`` is the host the request was made to.
    """
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return
    # ``language``: the reader's, from the request (this thread has none active).
    with translation.override(language or settings.LANGUAGE_CODE):
        form.save(
            domain_override=domain,
            use_https=use_https,
            extra_email_context={"site_name": site_settings_get().site_name},
        )


# Lazy: each notice is worded in the language active when it is sent (the request's).
NOTICE_SUBJECTS = {
    "password_changed": gettext_lazy("Your password on %(site_name)s was changed"),
    "email_changed": gettext_lazy(
        "The e-mail address of your account on %(site_name)s was changed"
    ),
    "email_added": gettext_lazy(
        "This address now receives the mail of your account on %(site_name)s"
    ),
}


def notice_send(*, template: str, to: str, user: Any, **context: Any) -> None:
    """Tell ``to`` of a change to ``user``'s account, once the transaction commits.

    Rendered now, in the request (the thread needs no database), sent after
    the commit from the mail thread (``outbox.mail_after_commit``), so a
    rolled-back change sends nothing and a slow mail server never holds the
    page. ``template`` names ``templates/users/mail/<template>.txt`` and its subject.
    """
    site_name = site_settings_get().site_name
    context = {"user": user, "site_name": site_name, "when": timezone.now(), **context}
    message = EmailMessage(
        subject=NOTICE_SUBJECTS[template] % {"site_name": site_name},
        body=render_to_string(f"users/mail/{template}.txt", context),
        to=[to],
    )
    mail_after_commit(message.send, what=f"the {template.replace('_', ' ')} notice")
