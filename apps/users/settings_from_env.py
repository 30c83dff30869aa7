"""Settings of the users app read from the environment, checked at start-up.

E-mail delivery comes from one variable, EMAIL_URL, the way DATABASE_URL
names the database. Unset, mail is printed to the console (development). Examples:
``smtp+tls://user:password@mail.example.com:587``, ``smtp+ssl://...:465``,
``filemail:///var/filamenta/mail`` (one file per message, for hosts where
SMTP is blocked and someone reads the folder), ``consolemail://``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

ACCEPTED = "smtp://, smtps://, smtp+tls://, smtp+ssl://, filemail:///path, consolemail://"


def email_settings_from_env(env: environ.Env) -> dict[str, Any]:
    """EMAIL_* settings from EMAIL_URL, or stop naming the variable and what it accepts."""
    url = env.str("EMAIL_URL", default="") or "consolemail://"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    try:
        if scheme not in environ.Env.EMAIL_SCHEMES:
            raise ImproperlyConfigured(scheme)
        config = environ.Env.email_url_config(url)
    except (ImproperlyConfigured, ValueError):
        shown = url.split("://", 1)[0] + "://…" if "@" in url else url
        raise ImproperlyConfigured(
            f"EMAIL_URL={shown!r} is not an e-mail URL; use one of: {ACCEPTED}."
        ) from None
    # Unset parts stay unset, so Django's defaults (localhost:25) apply.
    config = {name: value for name, value in config.items() if value not in (None, "")}
    if scheme == "filemail":
        # django-environ drops the leading slash of the folder; keep it absolute.
        folder = urlsplit(url).path
        if not folder.startswith("/") or folder == "/":
            raise ImproperlyConfigured(
                f"EMAIL_URL={url!r} needs an absolute folder, e.g. filemail:///home/user/mail; "
                f"accepted forms: {ACCEPTED}."
            )
        config["EMAIL_FILE_PATH"] = folder
    return config


RATE_PATTERN = re.compile(r"^[1-9][0-9]*/[0-9]*[smhd]$")


def rate_from_env(env: environ.Env, name: str, *, default: str) -> str:
    """A django-ratelimit rate such as ``10/15m`` from ``name``, or stop naming it."""
    value = env.str(name, default=default).strip()
    if not RATE_PATTERN.match(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate; use COUNT/PERIOD with PERIOD one of "
            "s, m, h, d, optionally with a number: 5/m, 10/15m, 100/h, 1000/d."
        )
    return value


SWITCH = {"true": True, "yes": True, "on": True, "1": True,
          "false": False, "no": False, "off": False, "0": False}  # fmt: skip


def switch_from_env(env: environ.Env, name: str, *, default: bool) -> bool:
    """An on/off variable, or stop naming it: ``env.bool`` reads a typo as off.

    For a security switch such as STAFF_REQUIRE_2FA, "ture" silently turning
    the protection off is the one outcome that must not happen.
    """
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value not in SWITCH:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not on or off; use true or false (also yes/no, on/off, 1/0)."
        )
    return SWITCH[value]


def totp_issuer(device: Any) -> str:
    """OTP_TOTP_ISSUER: the site's name, read when a QR code is drawn, not at start-up."""
    from apps.siteadmin.selectors import site_settings_get  # models are not ready at import

    return site_settings_get().site_name
