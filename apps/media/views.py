"""Media files from MEDIA_ROOT in development only, with the headers the web server adds in front.

Deployed hosts serve media from the web server (Apache, nginx) or the object
store, never from Python; this view answers only with DEBUG on, so that a
laptop sees uploads as a visitor would: ``X-Content-Type-Options: nosniff``
on everything and documents as downloads (``Content-Disposition:
attachment``), so an uploaded file never runs as a page of the site's origin.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, get_script_prefix, path
from django.views.static import serve

# What a browser may show in place; anything else under MEDIA_ROOT is a download.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def media_serve(request: HttpRequest, path: str) -> FileResponse:
    """One file under MEDIA_ROOT (DEBUG only; a 404 otherwise)."""
    if not settings.DEBUG:
        raise Http404("Media files are served by the web server in front.")
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if content_type not in INLINE_TYPES:
        response["Content-Disposition"] = "attachment"
    else:
        response["Content-Disposition"] = "inline"
    return response


def media_urlpatterns() -> list[URLPattern]:
    """The development route for MEDIA_URL when it is a path of this site (no object store)."""
    url = settings.MEDIA_URL
    if urlsplit(url).netloc:
        return []
    prefix = get_script_prefix()
    url = url[len(prefix) :] if url.startswith(prefix) else url
    url = url.strip("/")
    if not url:
        return []
    return [path(f"{url}/<path:path>", media_serve, name="media_serve")]
