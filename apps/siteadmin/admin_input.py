"""Crafted admin input answers 400 or a form error, never a 500 (every ModelAdmin uses this).

Django's admin passes some request values to the database without asking the
field whether they are values at all. Each gap below was a 500 in review:

- a NUL in a filter or a search (``?status__exact=a%00``): PostgreSQL text
  cannot hold one, so the query fails. Django's form fields already refuse
  NUL; the list's filters and searches are no forms, so they are refused here.
  Every database alike, so that a filter means the same everywhere.
- a date-hierarchy year or month past what a date holds: Django turns a
  ValueError into its "?e=1" page but not the OverflowError that ``datetime``
  raises for a number past a C int.
- ids that are no ids, as a bulk action's selection (``abc``) or as an
  ``__in`` list filter, a many-to-many choice or an autocomplete widget's
  value (past 64 bits: SQLite's driver cannot bind the number, although
  Django's own ``exact`` lookups are range-checked since 5.0).

Each check asks the model field (``to_python`` and its range validators), so
what the database would refuse is refused first, by the field that knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, ValidationError
from django.db import models
from django.http import HttpRequest, QueryDict

NUL = "\x00"


def _has_nul(data: QueryDict) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in data.lists())


def _is_value_of(field: models.Field, value: Any) -> bool:
    """True if ``field`` can hold ``value`` (its type, and its database range for integers)."""
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


class _CheckedAutocompleteMixin:
    """Django's autocomplete widgets, given a value that is no id, look it up anyway."""

    def optgroups(self, name: str, value: list[Any], attr: dict | None = None):
        target = self.field.target_field
        empty = self.choices.field.empty_values
        usable = [v for v in value if str(v) in empty or _is_value_of(target, v)]
        return super().optgroups(name, usable, attr)


class CheckedAutocompleteSelect(_CheckedAutocompleteMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(_CheckedAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class CheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A value no row could have is "not a valid value", before any query with it."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            opts = self.queryset.model._meta
            target = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
            for pk in value:
                if pk not in self.empty_values and not _is_value_of(target, pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)


class CheckedInputMixin:
    """Put before ``admin.ModelAdmin`` (or a subclass of it) in the bases."""

    def get_changelist_instance(self, request: HttpRequest):
        if _has_nul(request.GET):
            raise BadRequest("A filter or search holds a NUL character.")
        try:
            # Builds the filters (date hierarchy included) and counts the results.
            return super().get_changelist_instance(request)
        except OverflowError as error:
            raise BadRequest(f"A filter holds a number out of range: {error}") from error

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # The autocomplete view searches without a change list.
        if NUL in search_term:
            raise BadRequest("A search holds a NUL character.")
        return super().get_search_results(request, queryset, search_term)

    def response_action(self, request: HttpRequest, queryset):
        if not request.POST.get("select_across"):
            self._check_ids(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))
        return super().response_action(request, queryset)

    def _check_ids(self, values: Iterable[str]) -> None:
        pk = self.model._meta.pk
        for value in values:
            if not _is_value_of(pk, value):
                raise BadRequest(f"{value!r} is not an id of {self.model._meta.verbose_name}.")

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: Any):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", CheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
