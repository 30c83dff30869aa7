"""Files the site writes are its own: folders 0700, files 0600. Files it publishes are public.

On a shared host every account is another user of the same machine, and the
usual umask (022) leaves instance/ readable by all of them: the SQLite
database with its password hashes and sessions, the log, file-mail messages
holding reset links, the pickled file store. So every entry point calls
:func:`restrict_file_modes` before Django loads its settings: a umask of 077
for everything the process creates from then on, and one pass over what an
older release (or an operator's ``cp``) left readable under INSTANCE_DIR.

The things the site writes for someone else to read are ``collectstatic``'s
output, which nginx (another user) serves: ``filamenta.static_storage``
writes it 0755/0644 whatever the umask; and uploads, which the web server in
front serves from MEDIA_ROOT with the host's modes (filamenta/media_storage.py).
When MEDIA_ROOT lies inside INSTANCE_DIR (the default) the pass leaves its tree
to the media storage, and the folders on the way to it keep their execute bits
(never read): the web server reaches the media by name and lists nothing.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
# Group and others: what the umask withholds and the pass removes.
NOT_OURS = 0o077

logger = logging.getLogger(__name__)


def instance_dir() -> Path:
    """INSTANCE_DIR as settings/base.py reads it (settings are not loaded yet here)."""
    from filamenta.environment import BASE_DIR, env

    return Path(env.str("INSTANCE_DIR", default=str(BASE_DIR / "instance")))


def media_root() -> Path:
    """MEDIA_ROOT as settings/base.py reads it."""
    from filamenta.environment import env

    return Path(env.str("MEDIA_ROOT", default=str(instance_dir() / "media")))


def restrict_file_modes(directory: Path | None = None) -> None:
    """Umask 077 for this process, and tighten what already exists under INSTANCE_DIR.

    Called once per process, as it starts (each entry point, through
    ``filamenta.environment.configure``; gunicorn's master from its config
    file), never per request: the pass costs one stat per entry, and what this
    process writes afterwards is private by the umask alone.
    """
    os.umask(PRIVATE_UMASK)
    tighten(directory or instance_dir(), published=media_root())


def tighten(top: Path, *, published: Path | None = None) -> int:
    """Make every folder 0700 and every regular file 0600 under ``top``; return how many changed.

    ``published`` (MEDIA_ROOT) is left out when it lies under ``top`` and the
    media storage opened it to the web server, and the folders above it lose
    only their read and write bits for group and others, keeping execute: the
    way through to it.

    ``top`` itself may be a link (a host keeping data elsewhere): it is the
    operator's choice and is followed. Nothing below it is: a link inside
    instance/ keeps its target's mode, wherever that is, and only entries this
    user owns are touched. Work is done through file descriptors opened with
    O_NOFOLLOW, so a name swapped for a link between the check and the change
    is refused rather than followed.
    """
    try:
        root = top.resolve(strict=True)
    except (OSError, RuntimeError):
        return 0  # not created yet: the umask covers it
    if not root.is_dir():
        return 0
    changed = 0
    me = os.geteuid()
    kept = _under(published, root)
    for folder, dirs, files, folder_fd in os.fwalk(root, follow_symlinks=False):
        here = Path(folder)
        if kept is not None and here == kept:
            dirs[:] = []  # the media storage's own modes (filamenta/media_storage.py)
            continue
        on_the_way = kept is not None and kept.is_relative_to(here)
        changed += _restrict(folder_fd, me, NOT_OURS & ~0o011 if on_the_way else NOT_OURS)
        for name in files:
            try:
                fd = os.open(
                    name,
                    os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                    dir_fd=folder_fd,
                )
            except OSError:
                continue  # a link (ELOOP), gone, or not ours to open
            try:
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    changed += _restrict(fd, me)
            finally:
                os.close(fd)
    if changed:
        logger.info("made %d entries under %s private (0700/0600)", changed, root)
    return changed


def _under(published: Path | None, root: Path) -> Path | None:
    """``published`` resolved, when it is below ``root`` and open to the web server; else None.

    Open: the media storage gave it execute for group or others (a host whose
    web server reads it). A private MEDIA_ROOT (development) is tightened like
    the rest.
    """
    if published is None:
        return None
    try:
        resolved = published.resolve(strict=True)
        is_open = resolved.stat().st_mode & 0o011
    except (OSError, RuntimeError):
        return None
    inside = resolved != root and resolved.is_relative_to(root)
    return resolved if inside and is_open else None


def _restrict(fd: int, me: int, bits: int = NOT_OURS) -> int:
    info = os.fstat(fd)
    if info.st_uid != me or not stat.S_IMODE(info.st_mode) & bits:
        return 0
    try:
        os.fchmod(fd, stat.S_IMODE(info.st_mode) & ~bits)
    except OSError as exc:
        logger.warning("could not make an entry under instance/ private: %s", exc)
        return 0
    return 1
