"""Reads of accounts, for the views and the rate limits."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model


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
