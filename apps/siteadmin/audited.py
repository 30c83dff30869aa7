"""ModelAdmin bases that make every admin change land in the history exactly once.

Django writes ``LogEntry`` rows through three hooks; several deletions at once
are bulk-inserted, which no ``post_save`` signal would see. Two cases:

- ``AuditedModelAdmin``: the admin saves the model itself, and the hooks add
  the origin (IP address, browser) to what Django logs.
- ``ServiceAuditedModelAdmin``: the admin saves through the app's services,
  which record each act themselves (with its own name: a status change to
  published is "published", whichever way in). The hooks write nothing, or
  every act would be recorded twice.

Every ModelAdmin of the site derives from one of them (a test checks the
registry), and so checks crafted input (``admin_input.CheckedInputMixin``).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .admin_input import CheckedInputMixin
from .services import history_record_log_entries


class AuditedMixin(CheckedInputMixin):
    def log_addition(self, request: HttpRequest, obj, message):
        entry = super().log_addition(request, obj, message)
        history_record_log_entries(entries=[entry], actor=request.user)
        return entry

    def log_change(self, request: HttpRequest, obj, message):
        entry = super().log_change(request, obj, message)
        history_record_log_entries(entries=[entry], actor=request.user)
        return entry

    def log_deletions(self, request: HttpRequest, queryset):
        entries = super().log_deletions(request, queryset)
        if not isinstance(entries, list):
            entries = [entries]
        history_record_log_entries(entries=entries, actor=request.user)
        return entries


class AuditedModelAdmin(AuditedMixin, admin.ModelAdmin):
    pass


class ServiceAuditedModelAdmin(CheckedInputMixin, admin.ModelAdmin):
    """For models whose ``save_model``/``delete_model``/``delete_queryset`` call services.

    The services write the ``LogEntry`` (so the object's History page keeps
    working) and the history entry; Django's own logging would be a second record.
    """

    def log_addition(self, request: HttpRequest, obj, message):
        return None

    def log_change(self, request: HttpRequest, obj, message):
        return None

    def log_deletions(self, request: HttpRequest, queryset):
        return []
