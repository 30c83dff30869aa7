from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    """What people may change about themselves; roles and flags stay with administrators."""

    class Meta:
        model = User
        fields = ("display_name", "first_name", "last_name", "email")
        help_texts = {"display_name": "Shown as the author of what you publish."}
