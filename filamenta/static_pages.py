"""Static copies of public pages for Apache on cPanel (``STATIC_PAGES_DIR``).

Passenger wakes a Python process for every request it sees; Apache answers a
file from the account's ``public/`` folder many times faster. So a page that
``@cached_page`` renders and stores for an anonymous GET without a query
string is also written as ``<STATIC_PAGES_DIR>/<lang>/<path>/index.html``, and
the ``.htaccess`` that deploy/cpanel/setup_site.py writes serves it to readers
without a session or messages cookie and without a query string. Every purge
(filamenta.front_cache, after any change a cached page depends on) removes
every copy.

Why each rule:
- Files appear whole (temp file in the same folder, then ``os.replace``):
  Apache never serves half a page.
- ``still_current()`` is asked *after* the rename: a purge that ran between the
  render and the rename would otherwise leave an old page in place for good.
- Readable by Apache (``nobody`` on cPanel, outside the account's group) though
  the site's umask is 077: files 0644, folders 0711 (reach by name, list nothing),
  as media are.
- Bounded: only plain paths ending in "/" (no query string ever reaches a
  file name), and at most ``STATIC_PAGES_MAX`` files; past it no new file.
  The count is kept in memory per process and recounted from disk only every
  ``RECOUNT_EVERY`` writes and after a purge, so a write costs no directory walk.
- Never raises: a full disk or a read-only folder costs Apache's speed, never
  a reader's page (logged as a warning).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

logger = logging.getLogger("filamenta.static_pages")

FILE_MODE = 0o644
FOLDER_MODE = 0o711
DEFAULT_MAX = 5000
LANGUAGES = ("en", "fr")
# Recount the files on disk after this many writes in one process (other
# processes write too); between recounts each process adds its own writes.
RECOUNT_EVERY = 100
# Plain URL path segments only: what Django's URLs produce (slugs, unicode tag
# slugs percent-decoded); no dot segment, no NUL, no backslash, no "%".
_SEGMENT = re.compile(r"[^\x00-\x1f\x7f/\\%?#*:<>|\"']+")
_TRASH_PREFIX = ".purged-"

_lock = threading.Lock()
_count: int | None = None
_writes_since_count = 0


def static_pages_settings(env: Any, *, default_dir: str = "") -> dict[str, Any]:
    """STATIC_PAGES_DIR (an absolute folder, or empty for off) and STATIC_PAGES_MAX."""
    from django.core.exceptions import ImproperlyConfigured

    from filamenta.environment import whole_number

    folder = env.str("STATIC_PAGES_DIR", default=default_dir).strip()
    if folder and (not os.path.isabs(folder) or "\x00" in folder):
        raise ImproperlyConfigured(
            f"STATIC_PAGES_DIR={folder!r} is not an absolute folder; give the folder inside "
            "the one Apache serves the app from (such as /home/user/filamenta/public/_pages), "
            "or leave it empty for no static pages."
        )
    return {
        "STATIC_PAGES_DIR": folder,
        "STATIC_PAGES_MAX": whole_number(
            "STATIC_PAGES_MAX",
            DEFAULT_MAX,
            minimum=1,
            maximum=1_000_000,
            hint="Past it no new static page is written.",
        ),
    }


def public_dir(env: Any, base_dir: Path) -> Path:
    """CPANEL_PUBLIC_DIR, else ``public/`` in the app root: where Apache serves the app from."""
    return Path(env.str("CPANEL_PUBLIC_DIR", default="") or base_dir / "public")


def _root() -> Path | None:
    folder = getattr(settings, "STATIC_PAGES_DIR", "")
    return Path(folder) if folder else None


def _limit() -> int:
    return int(getattr(settings, "STATIC_PAGES_MAX", DEFAULT_MAX))


def page_relative_path(path_info: str) -> Path | None:
    """``/articles/x/`` -> ``articles/x/index.html``; None for anything but a plain page path."""
    if not path_info.startswith("/") or not path_info.endswith("/") or "//" in path_info:
        return None
    parts = [p for p in path_info.split("/") if p]
    for part in parts:
        if part in (".", "..") or not _SEGMENT.fullmatch(part):
            return None
    if len(path_info.encode()) > 1024:
        return None
    return Path(*parts, "index.html") if parts else Path("index.html")


def _language() -> str | None:
    language = (translation.get_language() or "").lower()
    for code in LANGUAGES:
        if language == code or language.startswith(code + "-"):
            return code
    return None


def _count_files(root: Path) -> int:
    total = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith(_TRASH_PREFIX):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.name == "index.html":
                        total += 1
        except FileNotFoundError:
            continue
    return total


def _room_for_one(root: Path) -> bool:
    global _count, _writes_since_count
    with _lock:
        if _count is None or _writes_since_count >= RECOUNT_EVERY:
            _count = _count_files(root)
            _writes_since_count = 0
        return _count < _limit()


def _counted() -> None:
    global _count, _writes_since_count
    with _lock:
        if _count is not None:
            _count += 1
        _writes_since_count += 1


def _make_folders(root: Path, folder: Path) -> None:
    """Create ``folder`` (under ``root``) and its parents 0711, whatever the umask."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current == root.parent or current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue
        path.chmod(FOLDER_MODE)


def static_page_write(
    *, request: HttpRequest, response: HttpResponse, still_current: Callable[[], bool]
) -> None:
    """Write this anonymous page where Apache finds it; never raises."""
    try:
        _write(request=request, response=response, still_current=still_current)
    except Exception as exc:  # Apache's copy is an optimisation; the page was served
        logger.warning("static page for %r not written: %s", request.path_info, exc)


def _write(
    *, request: HttpRequest, response: HttpResponse, still_current: Callable[[], bool]
) -> None:
    root = _root()
    if root is None or request.method != "GET" or request.META.get("QUERY_STRING"):
        return
    if response.status_code != 200 or getattr(response, "streaming", False):
        return
    if response.get("Content-Type", "").split(";")[0].strip().lower() != "text/html":
        return
    if response.has_header("Set-Cookie") or response.cookies:
        return
    relative = page_relative_path(request.path_info)
    language = _language()
    if relative is None or language is None:
        return
    target = root / language / relative
    new = not target.exists()  # rewriting a page takes no room
    if new and not _room_for_one(root):
        logger.info("static pages: %s files already (STATIC_PAGES_MAX)", _limit())
        return
    _make_folders(root, target.parent)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".html")
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(response.content)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        with _suppressed():
            os.unlink(temporary)
        raise
    if new:
        _counted()
    # A purge may have run since the render began: the file is then old already.
    if not still_current():
        with _suppressed():
            target.unlink()


class _suppressed:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type | None, *_: object) -> bool:
        return exc_type is not None and issubclass(exc_type, OSError)


def static_pages_purge() -> None:
    """Remove every static page at once; never raises.

    Each language folder is renamed away first (atomic: Apache finds either the
    old folder whole or none, and a write after this recreates it), then the
    renamed trees are deleted.
    """
    global _count, _writes_since_count
    root = _root()
    if root is None or not root.is_dir():
        return
    try:
        trash = []
        for language in LANGUAGES:
            folder = root / language
            if not folder.exists():
                continue
            moved = Path(tempfile.mkdtemp(dir=root, prefix=f"{_TRASH_PREFIX}{language}-"))
            trash.append(moved)
            # A concurrent purge may have moved it first: then it is gone already.
            with _suppressed():
                os.replace(folder, moved / language)
        # Left by a purge that was interrupted before its deletion.
        with os.scandir(root) as entries:
            trash += [Path(e.path) for e in entries if e.name.startswith(_TRASH_PREFIX)]
        with _lock:
            _count = None
            _writes_since_count = 0
        for moved in set(trash):
            shutil.rmtree(moved, ignore_errors=True)
    except Exception as exc:  # the caller's commit is done; the pages wait for the next purge
        logger.warning("static pages in %s not purged: %s", root, exc)
