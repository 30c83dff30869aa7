"""Renditions of uploaded images (responsive sizes), made once per image.

Filled by the renditions branch; the upload service calls ``renditions_make``
after storing each item, so that every image gets its renditions as it arrives.
"""

from __future__ import annotations

from typing import Any


def renditions_make(*, item: Any) -> None:
    """Filled by the renditions branch."""
    return None
