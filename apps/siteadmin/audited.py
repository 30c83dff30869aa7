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

Both show each object's History page from the history entries, never from
``LogEntry``: Django deletes a person's LogEntry rows with the person, and
the page would forget what they did.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .admin_input import CheckedInputMixin
from .selectors import history_of_object
from .services import history_record_log_entries

HISTORY_PER_PAGE = 100  # Django's own


class HistoryFromAuditMixin:
    """The object's History page, listing its history entries (they outlive people)."""

    object_history_template = "siteadmin/object_history.html"

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context=None
    ) -> HttpResponse:
        # Django's view does the object lookup, the permission check and the
        # page's context; only its list (read from LogEntry) is replaced.
        response = super().history_view(request, object_id, extra_context)
        if not isinstance(response, TemplateResponse):
            return response  # the redirect for an object that is not there
        entries = history_of_object(model=self.model, object_id=unquote(object_id))
        paginator = self.get_paginator(request, entries, HISTORY_PER_PAGE)
        page = paginator.get_page(response.context_data["action_list"].number)
        response.context_data.update(
            action_list=page,
            page_range=paginator.get_elided_page_range(page.number),
            pagination_required=paginator.count > HISTORY_PER_PAGE,
        )
        return response


class AuditedMixin(CheckedInputMixin, HistoryFromAuditMixin):
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


class ServiceAuditedModelAdmin(CheckedInputMixin, HistoryFromAuditMixin, admin.ModelAdmin):
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
