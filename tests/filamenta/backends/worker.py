"""A Django process for the multi-process tests: ``python -m tests.filamenta.backends.worker MODE``.

Settings come from the environment the test passes (CACHE_BACKEND, REDIS_URL,
CACHE_DIR, DATABASE_URL), exactly as in a deployed worker.

count N WORKERS   fork WORKERS processes, each counting N times the way
                  django-ratelimit does (add, else incr) on the "ratelimit"
                  alias; print the final count
sessions          read commands on stdin: "new", "use KEY", "write VALUE",
                  "read"; answer each with one line
migrate           create the tables the workers need in a fresh database
"""

from __future__ import annotations

import os
import sys


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.development")
    django.setup()


def count(n: int, workers: int) -> None:
    from django.core.cache import caches
    from django.db import connections

    key = "tests:counter"
    caches["ratelimit"].delete(key)
    connections.close_all()  # each child opens its own connection
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                store = caches["ratelimit"]
                for _ in range(n):
                    if not store.add(key, 1, 300):
                        store.incr(key)
            except BaseException as exc:  # reported through the exit status
                print(f"worker failed: {exc!r}", file=sys.stderr)
                code = 1
            finally:
                connections.close_all()
                os._exit(code)
        children.append(pid)
    failures = sum(os.waitpid(pid, 0)[1] != 0 for pid in children)
    print(f"{caches['ratelimit'].get(key)} {failures}")


def sessions() -> None:
    from importlib import import_module

    from django.conf import settings

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    session_key = None
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "new":
            store = store_class()
            store["value"] = argument
            store.save()
            session_key = store.session_key
            print(session_key, flush=True)
        elif command == "use":
            session_key = argument
            print("ok", flush=True)
        elif command == "write":
            store = store_class(session_key)
            store["value"] = argument
            store.save()
            print("ok", flush=True)
        elif command == "read":
            print(store_class(session_key).get("value", "<none>"), flush=True)


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", "sessions", verbosity=0)
    call_command("migrate", "counters", verbosity=0)


if __name__ == "__main__":
    _setup()
    mode = sys.argv[1]
    if mode == "count":
        count(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "sessions":
        sessions()
    elif mode == "migrate":
        migrate()
