"""The operations page: what this deployment runs on, for whoever is on call."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from .selectors import operations_overview

OPERATIONS_PERMISSION = "siteadmin.view_operations"


def operations(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(OPERATIONS_PERMISSION):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": _("Operations"),
        "overview": operations_overview(),
    }
    response = TemplateResponse(request, "siteadmin/operations.html", context)
    response["Cache-Control"] = "private, no-store"
    return response
