"""A cache backend that keeps integer counters in the database, atomically.

The memory tier has no store shared by processes except the database, and
Django's DatabaseCache is not atomic: its ``incr`` reads, adds and writes back,
and loses 45-70 % of concurrent increments (8 processes on SQLite, measured).
Here ``incr`` is one ``UPDATE ... SET value = value + n`` and ``add`` relies on
the primary key, so every process counts exactly, on SQLite, PostgreSQL and
MySQL alike.

Rows are found by the SHA-256 of the cache key (key_digest, below), never by
the key: MySQL's collations would count "Bob" and "bob" as one.

It stores integers only: it exists for rate limits (django-ratelimit uses
add, incr and get) and the version numbers of filamenta.caching.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import IntegrityError, router, transaction
from django.db.models import F, Q

# Delete expired rows on one add in this many, so the table does not grow forever.
PURGE_EVERY = 200


def _counters():  # imported late: cache backends load before the app registry is ready
    from filamenta.backends.counters.models import Counter

    return Counter


def key_digest(key: str) -> str:
    """The primary key of the counter under cache key ``key``: its SHA-256, in hex.

    Rows are found by this digest, never by the key itself. MySQL and MariaDB
    compare strings by the column's collation, and the server defaults
    (utf8mb4_general_ci and the like) hold "Bob" = "bob", "café" = "cafe" and
    "x" = "x ": two users' rate limits would share one count. A binary collation
    is no cure there: utf8mb4_bin still pads spaces, the collations that do not
    are named differently on MariaDB (utf8mb4_nopad_bin) and MySQL 8
    (utf8mb4_0900_bin), and MySQL 5.7, common on shared hosts, has none. Sixty-four
    lower-case hex digits compare the same under every collation of every
    vendor and version, and keys longer than a column's 255 characters fit too.
    """
    return hashlib.sha256(key.encode()).hexdigest()


class CounterCache(BaseCache):
    """Integer-only Django cache in the ``filamenta_counter`` table."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self._adds = 0

    def _db(self, write: bool) -> str:
        model = _counters()
        return router.db_for_write(model) if write else router.db_for_read(model)

    def _expires(self, timeout: Any) -> float | None:
        return self.get_backend_timeout(timeout)  # an absolute Unix time, or None for never

    @staticmethod
    def _live() -> Q:
        return Q(expires__isnull=True) | Q(expires__gt=time.time())

    @staticmethod
    def _integer(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"CounterCache stores integers only, not {type(value).__name__}")
        return value

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        key = self.make_and_validate_key(key, version=version)
        digest = key_digest(key)
        value, expires, db = self._integer(value), self._expires(timeout), self._db(write=True)
        objects = _counters().objects.using(db)
        self._adds += 1
        if self._adds % PURGE_EVERY == 0:
            objects.filter(expires__lte=time.time()).delete()
        with transaction.atomic(using=db):
            # An expired row is as good as absent: take it over, unless another
            # process does first (the WHERE is re-checked under the row lock).
            if objects.filter(digest=digest, expires__lte=time.time()).update(
                value=value, expires=expires
            ):
                return True
            try:
                with transaction.atomic(using=db):
                    objects.create(digest=digest, key=key, value=value, expires=expires)
            except IntegrityError:
                return False
            return True

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        objects = _counters().objects.using(self._db(write=False))
        found = (
            objects.filter(self._live(), digest=key_digest(key))
            .values_list("value", flat=True)
            .first()
        )
        return default if found is None else found

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        by_digest = {key_digest(self.make_and_validate_key(k, version=version)): k for k in keys}
        objects = _counters().objects.using(self._db(write=False))
        rows = objects.filter(self._live(), digest__in=list(by_digest))
        return {by_digest[digest]: value for digest, value in rows.values_list("digest", "value")}

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        digest = key_digest(key)
        value, expires, db = self._integer(value), self._expires(timeout), self._db(write=True)
        objects = _counters().objects.using(db)
        with transaction.atomic(using=db):
            if objects.filter(digest=digest).update(value=value, expires=expires):
                return
            try:
                with transaction.atomic(using=db):
                    objects.create(digest=digest, key=key, value=value, expires=expires)
            except IntegrityError:  # created meanwhile by another process: overwrite it
                objects.filter(digest=digest).update(value=value, expires=expires)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        objects = _counters().objects.using(self._db(write=True))
        live = objects.filter(self._live(), digest=key_digest(key))
        return bool(live.update(expires=self._expires(timeout)))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        digest, db = key_digest(key), self._db(write=True)
        objects = _counters().objects.using(db)
        with transaction.atomic(using=db):
            # The UPDATE holds the row lock until commit, so the value read
            # back is this increment's result, not a later one's.
            if not objects.filter(self._live(), digest=digest).update(value=F("value") + delta):
                raise ValueError(f"Key '{key}' not found")
            return objects.filter(digest=digest).values_list("value", flat=True).get()

    def delete(self, key: Any, version: Any = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        objects = _counters().objects.using(self._db(write=True))
        deleted, _ = objects.filter(digest=key_digest(key)).delete()
        return bool(deleted)

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self.get(key, version=version) is not None

    def clear(self) -> None:
        _counters().objects.using(self._db(write=True)).all().delete()
