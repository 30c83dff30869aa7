"""What rehearsals ask of the site itself: settings as seen, accounts, sign-in,
rate limits, content; each through manage.py or HTTP, as an operator would.
"""

from __future__ import annotations

import json
import re
import secrets
from binascii import unhexlify
from dataclasses import dataclass

from django_otp.oath import TOTP

from .harness import Rehearsal
from .web import Browser, Response

PRINT_JSON = "import json; from django.conf import settings as s; print(json.dumps({expr}))"


def settings_value(rehearsal: Rehearsal, env: dict[str, str], expr: str) -> object:
    """Evaluate ``expr`` (``s`` is django.conf.settings) under ``env``; JSON in, JSON out."""
    result = rehearsal.manage("settings", "shell", "-c", PRINT_JSON.format(expr=expr), env=env)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py shell failed: {result.stderr.strip()[-800:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# Through the site's own service, as the set-up page does; confirmed with the
# previous time step's code so that the current one is still unused at sign-in.
SET_UP_AUTHENTICATOR = (
    "import json; from django.contrib.auth import get_user_model; "
    "from django_otp.oath import TOTP; "
    "from apps.users.two_factor import two_factor_begin, two_factor_setup; "
    "u = get_user_model().objects.get(username={username!r}); d = two_factor_begin(user=u); "
    "c = TOTP(d.bin_key, d.step, d.t0, d.digits, drift=-1).token(); "
    "assert two_factor_setup(user=u, device=d, code=f'{{c:06d}}') is not None; "
    "print(json.dumps(d.key))"
)


@dataclass
class Admin:
    username: str
    password: str
    # The authenticator's secret (hex): deployments require a second factor of staff.
    totp_key: str = ""


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
    script = SET_UP_AUTHENTICATOR.format(username=admin.username)
    result = rehearsal.manage("authenticator", "shell", "-c", script, env=env)
    rehearsal.require(
        "the administrator has an authenticator (STAFF_REQUIRE_2FA)",
        result.returncode == 0,
        result.stderr[-800:],
    )
    admin.totp_key = json.loads(result.stdout.strip().splitlines()[-1])
    return admin


def admin_login(browser: Browser, admin: Admin, prefix: str = "") -> Response:
    """Sign in through the admin's form, then the code page; the answer is the last redirect.

    The code is what the administrator's app would show now, from the secret.
    """
    password = browser.submit(
        "/admin/login/?next=" + prefix + "/admin/",
        {"username": admin.username, "password": admin.password},
    )
    if (
        not admin.totp_key
        or password.status != 302
        or "/two-factor/" not in password.header("Location")
    ):
        return password
    code = TOTP(unhexlify(admin.totp_key)).token()
    return browser.submit("/accounts/two-factor/code/", {"code": f"{code:06d}"})


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


def sample_jpeg() -> bytes:
    """A small real JPEG made now with Pillow (no file shipped, nothing downloaded)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 120, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


# The newest upload's stored name and its URL, as the site builds it (no storage round trip).
LATEST_UPLOAD = (
    "import json; from apps.media.models import MediaItem; "
    "m = MediaItem.objects.order_by('-pk').first(); "
    "r = m and m.renditions.filter(format='webp', width=480).first(); "
    "print(json.dumps(m and [m.pk, m.file.name, m.file.url, r and r.file.name, r and r.file.url]))"
)


def upload_image(rehearsal: Rehearsal, browser: Browser, env: dict[str, str], title: str):
    """Upload a JPEG through the media library's admin add form.

    Returns (pk, name, url, rendition name, rendition url) — the rendition is
    the 480 px WebP the upload made — or None.
    """
    answer = browser.upload(
        "/admin/media/mediaitem/add/",
        {"title": title, "alt_text": f"{title}, a blue rectangle"},
        # The add form's file field (apps/media/admin.py UPLOAD_FIELD).
        {"upload": ("photo from the rehearsal.jpg", sample_jpeg(), "image/jpeg")},
    )
    rehearsal.check(
        "an image is uploaded through the media library's admin add form",
        answer.status == 302,
        f"{answer.status} {answer.text[:600]}",
    )
    result = rehearsal.manage("latest-upload", "shell", "-c", LATEST_UPLOAD, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else None
    rehearsal.check("the upload is in the library", bool(found), result.stderr[-500:])
    return found
