"""Account mail sent after the response, by one background thread of each server process.

Why not in the request: a password-reset request for an address with an
account took the mail's whole round trip (SMTP: tens of milliseconds to
seconds) and one for an unknown address did not, so the time of the answer
told which addresses have accounts. The view now answers both the same way and
leaves the lookup, the rendering and the sending to ``mail_after_commit``; the
notices of a changed password or address go the same way, so a slow mail
server never holds up the page.

The thread is ``concurrent.futures``' (stdlib): one worker per process, so
mail leaves in the order it was queued and a hung server ties up one thread,
never the workers. It starts at the first job, in the process that serves the
request (after gunicorn's or Passenger's fork, never before it).

When the process ends: the executor's thread is not a daemon, and Python
waits for queued jobs at interpreter exit, so a gunicorn worker recycled
after ``max_requests``, or stopped with SIGTERM, sends what it had queued
before it exits (each send bounded by ``EMAIL_TIMEOUT``); gunicorn's
``graceful_timeout`` (30 s) and Passenger's shutdown are the outer bound. A
process killed outright (SIGKILL, the out-of-memory killer, a Passenger
process killed while stuck) loses the mail it had not sent yet: it was never
stored anywhere. The person asks again; nothing else depends on that mail.
Every job that fails is logged (``apps.users.outbox``, ERROR, with the
traceback) and dropped, never retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connections, transaction
from django.urls import get_script_prefix, set_script_prefix

logger = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def mail_after_commit(job: Callable[[], None], *, what: str) -> None:
    """Run ``job`` (which sends mail) in the background once the transaction commits.

    After the commit, so the thread sees the rows the request wrote and
    nothing is sent for a request that was rolled back; outside a
    transaction, at once. ``what`` names the job in the log when it fails.
    The URL prefix of a site mounted under a sub-path is thread-local in
    Django, so it is carried over for the links in the mail.
    """
    prefix = get_script_prefix()
    transaction.on_commit(lambda: _pool().submit(_run, job, what=what, prefix=prefix))


def mail_queue_join(timeout: float | None = None) -> None:
    """Wait until everything queued so far in this process has been sent (or has failed).

    For tests and for code that must not return before the mail is out. The
    one worker takes jobs in order, so a no-op queued now runs after them all.
    """
    _pool().submit(lambda: None).result(timeout=timeout)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="filamenta-mail")
        return _executor


def _run(job: Callable[[], None], *, what: str, prefix: str) -> None:
    set_script_prefix(prefix)
    close_old_connections()
    try:
        job()
    except Exception:
        logger.exception("Could not send %s; it is dropped (the person may ask again).", what)
    finally:
        # This thread's own connections: never kept between jobs that may be
        # minutes apart, past the server's idle timeout.
        connections.close_all()
