"""The project's user model, in place from the first migration.

Swapping AUTH_USER_MODEL after the first migrate is a painful data migration,
so the model exists from day one even while it adds little to Django's.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who can sign in: administrator, editor, author or reader."""

    email = models.EmailField(_("email address"), blank=True, db_index=True)
    display_name = models.CharField(_("display name"), max_length=150, blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.display_name or self.get_username()
