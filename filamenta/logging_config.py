"""Logging to stderr, or to a file on hosts where stderr is lost."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def logging_config(*, level: str, file: str = "") -> dict[str, Any]:
    """Return a LOGGING dict; ``file`` adds a size-rotated log file beside stderr."""
    if level not in LEVELS:
        raise ImproperlyConfigured(
            f"LOG_LEVEL={level!r} is not a level; use one of: {', '.join(LEVELS)}."
        )
    handlers: dict[str, Any] = {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    }
    if file:
        path = Path(file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"LOG_FILE={file!r}: cannot create its folder ({exc})."
            ) from None
        handlers["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(path),
            "maxBytes": 5 * 1024 * 1024,
            "backupCount": 3,
            "formatter": "plain",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"},
        },
        "handlers": handlers,
        "root": {"handlers": list(handlers), "level": level},
        "loggers": {
            "django": {"level": max(logging.getLevelName(level), logging.INFO)},
        },
    }
