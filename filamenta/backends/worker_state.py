"""What each running process's circuit breakers say, for ``manage.py backends`` to read.

A breaker's state lives in the memory of the process that owns it, so a
command run beside the server cannot ask it. Each process that uses a store
writes its breakers to ``BACKEND_STATE_DIR/<host>-<pid>.json`` whenever one
opens or closes (never per request), and the command reads the files of the
processes still alive on this host. Not the shared store: the store is what
may be down. Files of processes that have exited are removed by the reader.
Writing is best effort: a state directory that cannot be written never
fails a request, it only leaves the command unable to tell.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from filamenta.backends.breaker import CircuitBreaker

logger = logging.getLogger("filamenta.backends")
_STARTED = time.time()


def state_dir() -> Path | None:
    """settings.BACKEND_STATE_DIR, or None outside a configured Django process."""
    from django.conf import settings

    if not settings.configured:
        return None
    directory = getattr(settings, "BACKEND_STATE_DIR", None)
    return Path(directory) if directory else None


def report(breaker: CircuitBreaker) -> None:
    """Write this process's breakers; called by the breaker on every open and close."""
    from filamenta.backends.breaker import circuit_breakers

    directory = state_dir()
    if directory is None:
        return
    body = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": _STARTED,
        "updated": time.time(),
        "breakers": {
            b.name: {"state": b.state, "since": b.since, "error": b.last_error}
            for b in circuit_breakers()
        },
    }
    path = directory / f"{body['host']}-{body['pid']}.json"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{time.monotonic_ns()}.tmp")
        temporary.write_text(json.dumps(body))
        os.replace(temporary, path)  # readers never see half a file
    except OSError as exc:
        logger.debug("could not write the breaker state of %s to %s: %s", breaker.name, path, exc)


def running_workers(directory: Path) -> list[dict[str, Any]]:
    """The states of the processes on this host that are still running, oldest first."""
    host = socket.gethostname()
    found = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            body = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if body.get("host") != host or body.get("pid") == os.getpid():
            continue  # another server sharing the folder (its pids mean nothing here), or us
        if not _alive(int(body.get("pid", 0))):
            path.unlink(missing_ok=True)
            continue
        found.append(body)
    return sorted(found, key=lambda body: body["started"])


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
