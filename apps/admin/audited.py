"""A ModelAdmin base that adds the origin of each change to Django's LogEntry.

Django writes ``LogEntry`` rows through these three hooks; several deletions
at once are bulk-inserted, which no ``post_save`` signal would see, so the
hooks are the one place that catches every admin change. Every ModelAdmin of
the site derives from ``AuditedModelAdmin`` (a test checks the registry).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .services import history_record_log_entries


class AuditedMixin:
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
