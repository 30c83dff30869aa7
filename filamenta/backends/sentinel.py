"""Redis behind Sentinel: which sentinels to ask, for which master, and how to show it.

Read from REDIS_SENTINELS ("host:port,host:port"), REDIS_SENTINEL_MASTER and
REDIS_SENTINEL_PASSWORD by filamenta.backends.settings; the probe asks the
sentinels for the master, and the runtime caches use django-redis's
SentinelClient, which asks them again whenever it opens a connection, so a
promoted replica is found without a restart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

SENTINEL_SCHEME = "redis+sentinel"
# django-redis takes the master name from the host part of a URL
# (redis://mymaster/0), and URL hosts are lower-cased: "MyMaster" would
# silently ask the sentinels for "mymaster". Hence lower case only.
MASTER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
SENTINELS_EXAMPLE = "sentinel1:26379,sentinel2:26379,sentinel3:26379"


@dataclass(frozen=True)
class RedisSentinel:
    """The sentinels, the master name and what to send the master; hashable for the probe."""

    sentinels: tuple[tuple[str, int], ...]
    master: str
    db: int = 0
    password: str = field(default="", repr=False)
    sentinel_password: str = field(default="", repr=False)

    @property
    def location(self) -> str:
        """redis+sentinel://host:port,…/master/db: for logs, /healthz and the breaker's name.

        Never carries a password, so it can be shown as it is.
        """
        hosts = ",".join(_address(host, port) for host, port in self.sentinels)
        return f"{SENTINEL_SCHEME}://{hosts}/{self.master}/{self.db}"

    @property
    def addresses(self) -> str:
        return ", ".join(_address(host, port) for host, port in self.sentinels)

    @property
    def master_url(self) -> str:
        """django-redis's LOCATION for the master: the host part is the master's name."""
        return f"redis://{self.master}/{self.db}"


def sentinel_addresses(raw: str) -> tuple[tuple[str, int], ...]:
    """Parse REDIS_SENTINELS: host:port pairs separated by commas ([::1]:26379 for IPv6).

    Every entry needs its port: Sentinel's usual 26379 is easy to confuse with
    Redis's 6379, and a guessed port would only fail later, at the probe.
    """
    if "@" in raw:  # do not echo: the value holds credentials
        raise ImproperlyConfigured(
            "REDIS_SENTINELS must not carry credentials ('@' found); list host:port pairs "
            f"such as {SENTINELS_EXAMPLE} and put the sentinels' password in "
            "REDIS_SENTINEL_PASSWORD, the master's in REDIS_PASSWORD."
        )
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    if not entries:
        raise ImproperlyConfigured(
            f"REDIS_SENTINELS={raw!r} lists no sentinel; use host:port pairs separated by "
            f"commas, such as {SENTINELS_EXAMPLE}."
        )
    return tuple(_sentinel_address(raw, entry) for entry in entries)


def master_name(raw: str) -> str:
    """Check REDIS_SENTINEL_MASTER (the name in the sentinels' ``sentinel monitor`` line)."""
    name = raw.strip()
    if not MASTER_NAME.fullmatch(name):
        raise ImproperlyConfigured(
            f"REDIS_SENTINEL_MASTER={raw!r} is not a master name Filamenta can use; use the "
            "name from the sentinels' `sentinel monitor` line in lower-case letters, digits, "
            "'.', '_' and '-', such as mymaster (django-redis reads it as a URL host, which "
            "ignores case)."
        )
    return name


def _sentinel_address(raw: str, entry: str) -> tuple[str, int]:
    def bad(why: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f"REDIS_SENTINELS={raw!r}: {entry!r} {why}; use host:port pairs separated by "
            f"commas, such as {SENTINELS_EXAMPLE} ([::1]:26379 for IPv6)."
        )

    if entry.startswith("["):
        host, closed, rest = entry[1:].partition("]")
        if not closed or not rest.startswith(":"):
            raise bad("has no port")
        port_text = rest[1:]
    else:
        host, colon, port_text = entry.rpartition(":")
        if not colon:
            raise bad("has no port")
        if ":" in host:
            raise bad("is an IPv6 address without brackets")
    if not host:
        raise bad("has no host")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise bad(f"has a port {port_text!r} that is not a whole number from 1 to 65535")
    return host, int(port_text)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
