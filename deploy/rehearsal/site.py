"""What rehearsals ask of the site itself: settings as seen, accounts, sign-in,
rate limits, content; each through manage.py or HTTP, as an operator would.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from .harness import Rehearsal
from .web import Browser, Response

PRINT_JSON = "import json; from django.conf import settings as s; print(json.dumps({expr}))"


def settings_value(rehearsal: Rehearsal, env: dict[str, str], expr: str) -> object:
    """Evaluate ``expr`` (``s`` is django.conf.settings) under ``env``; JSON in, JSON out."""
    result = rehearsal.manage("settings", "shell", "-c", PRINT_JSON.format(expr=expr), env=env)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py shell failed: {result.stderr.strip()[-800:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Admin:
    username: str
    password: str


def create_admin(rehearsal: Rehearsal, env: dict[str, str]) -> Admin:
    admin = Admin(f"rehearsal-{secrets.token_hex(3)}", secrets.token_urlsafe(18))
    result = rehearsal.manage(
        "createsuperuser",
        "createsuperuser",
        "--noinput",
        "--username",
        admin.username,
        "--email",
        f"{admin.username}@example.com",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": admin.password},
    )
    rehearsal.require("an administrator is created", result.returncode == 0, result.stderr[-800:])
    return admin


def admin_login(browser: Browser, admin: Admin, prefix: str = "") -> Response:
    """Sign in through Django's admin form; the answer is the POST's redirect."""
    return browser.submit(
        "/admin/login/?next=" + prefix + "/admin/",
        {"username": admin.username, "password": admin.password},
    )


def is_admin_page(response: Response) -> bool:
    """The admin index itself, not the login page it redirects anonymous visitors to."""
    return response.status == 200 and 'id="logout-form"' in response.text


def parse_rate(rate: str) -> int:
    """The count of a django-ratelimit rate: "10/15m" -> 10."""
    match = re.fullmatch(r"\s*(\d+)\s*/.*", rate)
    if not match:
        raise ValueError(f"not a rate: {rate!r}")
    return int(match.group(1))


def login_rate_per_account(rehearsal: Rehearsal, env: dict[str, str]) -> int:
    """The sign-in limit per account, from the site's own settings."""
    return parse_rate(settings_value(rehearsal, env, "s.LOGIN_RATE_PER_ACCOUNT"))


def bad_login(browser: Browser, username: str, prefix: str = "") -> Response:
    """One wrong password for ``username`` through the site's own sign-in page."""
    return browser.submit(
        "/accounts/login/",
        {"username": username, "password": "wrong-" + secrets.token_hex(4)},
    )


def backends_report(rehearsal: Rehearsal, env: dict[str, str]) -> dict:
    """``manage.py backends --json``: what the site uses, as its running processes report."""
    result = rehearsal.manage("backends", "backends", "--json", env=env)
    try:
        report = json.loads(result.stdout) if result.returncode == 0 else None
    except json.JSONDecodeError:
        report = None
    rehearsal.require("manage.py backends --json answers", report is not None, result.stderr[-800:])
    return report
