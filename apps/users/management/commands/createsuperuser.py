"""Django's ``createsuperuser``, which also validates the password given without input.

With ``--noinput`` Django takes ``DJANGO_SUPERUSER_PASSWORD`` as it is, so
an installer's ``secret`` became the password of the most powerful account.
Asked interactively, Django validates already (and lets the operator choose to
bypass it); without input the validators' verdict is final.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


class Command(createsuperuser.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not options["interactive"] and password:
            User = get_user_model()
            # The user as it will be, so the similarity check sees its name and address.
            fields = {
                name: options.get(name) or os.environ.get(f"DJANGO_SUPERUSER_{name.upper()}", "")
                for name in (User.USERNAME_FIELD, *User.REQUIRED_FIELDS, "email")
            }
            try:
                validate_password(password, User(**fields))
            except ValidationError as error:
                raise CommandError(
                    "DJANGO_SUPERUSER_PASSWORD: " + " ".join(error.messages)
                ) from None
        super().handle(*args, **options)
