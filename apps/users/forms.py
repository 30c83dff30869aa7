from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User


class ProfileForm(forms.ModelForm):
    """What people may change about themselves; roles and flags stay with administrators.

    A new e-mail address needs the current password (ASVS 4, 2.5.2 and 3.7.1):
    the address is where a password reset goes, so whoever holds a stolen or
    forgotten session could otherwise make the account theirs.
    """

    current_password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change your e-mail address."),
    )

    class Meta:
        model = User
        fields = ("display_name", "first_name", "last_name", "email")
        help_texts = {"display_name": _("Shown as the author of what you publish.")}

    def clean(self):
        cleaned = super().clean()
        if "email" in self.changed_data and "email" in cleaned:
            password = cleaned.get("current_password", "")
            if not password:
                self.add_error(
                    "current_password",
                    ValidationError(
                        _("Enter your current password to change your e-mail address."),
                        code="password_required",
                    ),
                )
            elif not self.instance.check_password(password):
                self.add_error(
                    "current_password",
                    ValidationError(
                        _("Your current password was entered incorrectly. Please enter it again."),
                        code="password_incorrect",
                    ),
                )
        return cleaned

    def profile_changes(self) -> dict:
        """The model fields, for ``user_update`` (the password is only a proof)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}
