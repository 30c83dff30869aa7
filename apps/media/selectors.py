"""Reads of the media library: who sees which items, and where an item is used."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote, urlsplit

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from apps.content.models import Article

from .models import MediaItem

VIEW_PERMISSION = "media.view_mediaitem"
# Editors and administrators may delete anyone's media, so they see all of it;
# authors (add, change, view) see what they uploaded.
EVERYTHING_PERMISSION = "media.delete_mediaitem"
KEY_SEGMENT = re.compile(r"[0-9a-f]{32}")


def media_list_visible(
    *, user: AbstractBaseUser | AnonymousUser, items: QuerySet[MediaItem] | None = None
) -> QuerySet[MediaItem]:
    """The items ``user`` may see and use: the one rule for the admin, the chooser and the editor.

    Editors and administrators see everything, authors what they uploaded,
    everyone else nothing. ``items`` narrows a queryset of the caller's (the
    admin's, with its ordering); by default every item.
    """
    items = MediaItem.objects.all() if items is None else items
    if not (user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION)):
        return items.none()
    if user.has_perm(EVERYTHING_PERMISSION):
        return items
    return items.filter(uploaded_by=user)


def media_item_from_url(*, url: str) -> MediaItem | None:
    """The item that a URL of it (the original or a rendition) names, by its key's path segment.

    Any host and any prefix: whether the URL is the site's own media is the
    caller's question (the sanitiser's); the key alone finds the item.
    """
    try:
        path = urlsplit(str(url)).path
    except ValueError:
        return None
    keys = [
        uuid.UUID(segment) for segment in unquote(path).split("/") if KEY_SEGMENT.fullmatch(segment)
    ]
    if not keys:
        return None
    return MediaItem.objects.filter(key__in=keys).first()


def media_usages(*, item: MediaItem) -> QuerySet[Article]:
    """The articles that show ``item``; the renditions branch fills it from the article links."""
    return Article.objects.none()
