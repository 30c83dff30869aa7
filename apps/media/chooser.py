"""The editor's media chooser: ``GET /admin/media/chooser/?q=&kind=image|document`` as JSON.

Inside the admin (filamenta/urls.py wraps it in ``admin.site.admin_view``:
signed in, staff, and the admin's second factor), and limited to what the
person may use (``media_list_visible``: authors their own uploads, editors
everything). static/content/editor.js fetches it with the address the page
gives it, so it follows the site's sub-path.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .models import MediaItem
from .renditions import image_candidates, image_src, image_srcset
from .selectors import media_list_visible

RESULTS = 48
QUERY_LENGTH = 200
# Where an inserted image sits: the article column's width (templates/content/article_detail.html).
IMAGE_SIZES = "(max-width: 960px) 100vw, 960px"


def media_chooser_search(*, user: Any, query: str = "", kind: str = "") -> QuerySet[MediaItem]:
    """What the chooser lists: visible items of one kind, each word in the title, alt or name."""
    items = media_list_visible(user=user)
    if kind:
        items = items.filter(kind=kind)
    for word in query.split()[:8]:
        items = items.filter(
            Q(title__icontains=word)
            | Q(alt_text__icontains=word)
            | Q(original_name__icontains=word)
        )
    return items.order_by("-created_at", "-pk")


def media_chooser_entry(item: MediaItem) -> dict[str, Any]:
    """One result as the contract names it.

    An image's ``url`` and ``srcset`` are those of the public pages' ``<img>``
    (the original format's renditions, then the original): the body keeps one
    ``<img>``, which the sanitiser allows, not a ``<picture>``.
    """
    url, srcset = item.file.url, ""
    if item.is_image:
        _webp, candidates = image_candidates(item)
        url, srcset = image_src(candidates), image_srcset(candidates)
    return {
        "id": item.pk,
        "title": item.title,
        "alt_text": item.alt_text,
        "kind": item.kind,
        "url": url,
        "thumbnail_url": item.thumbnail_url(),
        "width": item.width,
        "height": item.height,
        "srcset": srcset,
        "sizes": IMAGE_SIZES,
    }


@require_GET
def media_chooser(request: HttpRequest) -> JsonResponse:
    """The chooser's results; a kind that is neither image nor document is a 400, not a guess."""
    kind = request.GET.get("kind", "")
    if kind and kind not in MediaItem.Kind.values:
        return JsonResponse(
            {"error": f"kind must be one of {', '.join(MediaItem.Kind.values)}."}, status=400
        )
    # NUL is refused by PostgreSQL in a query; nobody searches for it.
    query = request.GET.get("q", "").replace("\x00", "")[:QUERY_LENGTH]
    items = media_chooser_search(user=request.user, query=query, kind=kind)[:RESULTS]
    return JsonResponse({"results": [media_chooser_entry(item) for item in items]})
