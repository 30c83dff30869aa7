"""Site settings for every template (one cache read, no query on a hit)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import site_settings_get


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site": site_settings_get()}
