"""Reads for the site settings, the objects' history and the operations page."""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

import django
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import connection, models

from filamenta.caching import cached

from .models import AuditEntry, SiteSettings


@cached(timeout=3600, depends_on=("siteadmin.SiteSettings",))
def site_settings_get() -> SiteSettings:
    """The settings row that every page reads; a migration creates it, so this only reads.

    Without the row (a database built with ``--run-syncdb`` or flushed by a test)
    the defaults come back unsaved, with pk 1, so pages still render; the first
    ``site_settings_update`` stores them.
    """
    return SiteSettings.objects.filter(pk=1).first() or SiteSettings(pk=1)


def history_of_object(*, model: type[models.Model], object_id: str) -> models.QuerySet[AuditEntry]:
    """What was done to one object, oldest first: its History page.

    From the history entries, which keep the object and the actor's name
    whoever is deleted; keyed as LogEntry keys it (the model's own content
    type, proxies included, and the primary key as text).
    """
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
    return (
        AuditEntry.objects.filter(content_type=content_type, object_id=str(object_id))
        .select_related("actor")
        .order_by("created_at", "id")
    )


def operations_overview() -> dict[str, Any]:
    """What an operator needs to know about this process, gathered fresh on each call."""
    from filamenta.backends.status import backend_status
    from filamenta.media_storage import media_storage_status

    return {
        "environment": getattr(settings, "DEPLOYMENT_TARGET", "unknown"),
        "settings_module": os.environ.get("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE),
        "debug": settings.DEBUG,
        "application_root": getattr(settings, "APPLICATION_ROOT", "/"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": _database(),
        "backends": backend_status(),
        "media": media_storage_status(),
        "front_cache": _front_cache(),
        "health": {"database": _database_health(), "cache": _cache_health()},
    }


def _front_cache() -> dict[str, Any]:
    """The caches in front, with the purge times as dates (they are epoch seconds)."""
    from filamenta.front_cache import front_cache_status

    status = front_cache_status()
    for name in ("last_purged_at", "last_failure_at"):
        if status[name] is not None:
            status[name] = datetime.fromtimestamp(status[name], UTC)
    return status


def _database() -> dict[str, str]:
    try:
        version = ".".join(str(part) for part in connection.get_database_version())
    except Exception as exc:
        version = f"unavailable ({exc.__class__.__name__})"
    return {"vendor": connection.vendor, "name": connection.display_name, "version": version}


def _database_health() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "detail": exc.__class__.__name__}
    return {"ok": True, "detail": f"{(time.perf_counter() - started) * 1000:.1f} ms"}


def _cache_health() -> dict[str, Any]:
    key = f"siteadmin:operations:probe:{os.getpid()}"
    started = time.perf_counter()
    try:
        cache = caches["default"]
        cache.set(key, "ok", 10)
        ok = cache.get(key) == "ok"
        cache.delete(key)
    except Exception as exc:
        return {"ok": False, "detail": exc.__class__.__name__}
    detail = f"{(time.perf_counter() - started) * 1000:.1f} ms"
    return {"ok": ok, "detail": detail if ok else "written value not read back"}
