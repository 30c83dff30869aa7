"""The external review's scan (issue 11), run by the cpanel, vps and cluster rehearsals.

Each rehearsal describes how its served site is reached (``ScannedSite``)
and calls ``scan``; every finding is one entry of ``CHECKS``, reported as a
Check like the rest of the harness:

- the headers, scored by the MDN HTTP Observatory's rules (devtools/observatory.py),
  on the public pages as the world reaches them (through nginx, Apache or the balancer);
- a look-alike name (``reader1`` with a full-width r) is held by ``reader1``'s sign-in limit;
- an author cannot preview another author's draft at its public address;
- everything the site wrote under its instance folder is private to its account;
- a malformed ``X-Forwarded-For`` is a 400 on the sign-in and reset forms, never a 500
  (where the site reads the header at all; settings.cpanel does not, and there
  it must change nothing).

The last four go straight to the application server (``ScannedSite.app``):
nginx's own limit_req on the sign-in pages would answer 429 in Django's
place, and a spoofed X-Forwarded-For matters where a client reaches the app
without nginx rewriting the header.
"""

from __future__ import annotations

import json
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devtools import observatory

from .harness import Rehearsal
from .site import bad_login, login_rate_per_account
from .web import Browser, parse_forms

PUBLIC_PAGES = ("/", "/articles/", "/articles/{article}/", "/accounts/login/")
LOOK_ALIKE = "\uff52eader1"  # FULLWIDTH LATIN SMALL LETTER R: NFKC makes it "reader1"

# Accounts and content the checks need, made through the services in one shell call.
PREPARE = """
import json
from django.contrib.auth.models import Group
from apps.content.services import article_create, article_publish
from apps.users.services import user_create
made = {}
for name, role, staff in (("reader1", "reader", False), ("reader2", "reader", False),
                          ("scan-author-a", "author", True), ("scan-author-b", "author", True)):
    user = user_create(username=name, email=name + "@example.com", password=PASSWORD,
                       is_staff=staff)
    user.groups.add(Group.objects.get(name=role))
    made[name] = user
article = article_publish(
    article=article_create(title="Scanned", author=made["scan-author-a"]), by=None)
draft = article_create(title="A draft of author A", author=made["scan-author-a"])
print(json.dumps({"article": article.slug, "draft": draft.slug}))
"""


@dataclass
class ScannedSite:
    """How a rehearsal's site is reached, for the scan.

    ``http_url``/``https_url`` are the addresses the Observatory would be
    given (``http://filamenta.test``, with the mount point), ``connect`` maps
    them to the servers that answer them; ``app`` makes a fresh visitor
    talking to the application server itself. ``reads_forwarded_for`` is
    False where the settings trust no proxy header (cPanel: Apache is the
    peer Passenger sees), so a malformed one must be ignored, not refused.
    """

    env: dict[str, str]
    instance_dir: Path
    http_url: str
    https_url: str
    connect: observatory.Connect
    app: Callable[[], Browser]
    reads_forwarded_for: bool = True
    # MEDIA_ROOT when it lies inside instance_dir somewhere else than instance/media.
    media_root: Path | None = None
    facts: dict[str, str] = field(default_factory=dict)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))


def _prepare(r: Rehearsal, site: ScannedSite) -> None:
    script = PREPARE.replace("PASSWORD", repr(site.password))
    result = r.manage("scan-prepare", "shell", "-c", script, env=site.env)
    r.require(
        "the scan's accounts and articles are made", result.returncode == 0, result.stderr[-800:]
    )
    site.facts = json.loads(result.stdout.strip().splitlines()[-1])


def observatory_scores(r: Rehearsal, site: ScannedSite) -> tuple[bool, str]:
    """(a) Every public page scores 100 or more (A+)."""
    scores = {}
    for page in PUBLIC_PAGES:
        path = page.format(**site.facts)
        scan = observatory.scan_page(
            site.http_url + path, site.https_url + path, connect=site.connect
        )
        scores[path] = scan
    low = [f"{path}: {scan.summary()}" for path, scan in scores.items() if scan.score < 100]
    seen = ", ".join(f"{path} {scan.score}" for path, scan in scores.items())
    return not low, "; ".join(low) or seen


def sign_in(browser: Browser, username: str, password: str) -> int:
    return browser.submit("/accounts/login/", {"username": username, "password": password}).status


def look_alike_name(r: Rehearsal, site: ScannedSite) -> tuple[bool, str]:
    """(b) reader1 limited, reader2 still welcome from the same address, the look-alike refused."""
    limit = login_rate_per_account(r, site.env)
    attacker = site.app()
    statuses = [bad_login(attacker, "reader1").status for _ in range(limit + 1)]
    if statuses[-1] != 429:
        return False, f"reader1 was never limited: {statuses}"
    control = sign_in(site.app(), "reader2", site.password)
    if control != 302:
        return False, f"reader2 could not sign in from the same address ({control}): per-IP limit?"
    look_alike = sign_in(site.app(), LOOK_ALIKE, site.password)
    return look_alike == 429, (
        f"reader1 limited after {limit} ({statuses}); {LOOK_ALIKE!r} with reader1's password: "
        f"{look_alike} ({'signed in as reader1' if look_alike == 302 else 'not 429'})"
    )


def draft_preview(r: Rehearsal, site: ScannedSite) -> tuple[bool, str]:
    """(c) author B: 404 for author A's draft; author A still previews it (200)."""
    path = f"/articles/{site.facts['draft']}/"
    seen = {}
    for name in ("scan-author-b", "scan-author-a"):
        browser = site.app()
        signed_in = sign_in(browser, name, site.password)
        seen[name] = browser.get(path).status if signed_in == 302 else f"sign-in {signed_in}"
    ok = seen == {"scan-author-b": 404, "scan-author-a": 200}
    return ok, f"{path}: another author {seen['scan-author-b']}, its author {seen['scan-author-a']}"


def file_modes(r: Rehearsal, site: ScannedSite) -> tuple[bool, str]:
    """(d) No group or other bits on anything under the instance folder (0700 / 0600).

    But for what the web server must read when MEDIA_ROOT lies inside it (cPanel's
    default): the folders on the way may have execute (reach by name, list
    nothing), and MEDIA_ROOT's tree may be read, never written, by others, its
    folders never listed by others (filamenta/media_storage.py).
    """
    root = site.instance_dir
    if not root.is_dir():
        return False, f"{root} does not exist"
    media = (site.media_root or root / "media").resolve()
    shared = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or stat.S_ISSOCK(mode):
            continue
        resolved = path.resolve()
        if resolved.is_relative_to(media):
            refused = 0o022 | (0o004 if stat.S_ISDIR(mode) else 0)
        elif media.is_relative_to(resolved):
            refused = 0o066
        else:
            refused = 0o077
        if mode & refused:
            shared.append(f"{path.relative_to(root.parent)} {stat.filemode(mode)}")
    return not shared, f"{len(shared)} readable by others: " + ", ".join(shared[:8])


# Forms that succeed as sent (a sign-in with the right password, a reset request), so
# that a 400 can only be the header's: the sign-in form answers a wrong password with 400.
MALFORMED = {
    "/accounts/login/": {"username": "reader2", "password": "{password}"},
    "/admin/login/": {"username": "scan-author-a", "password": "{password}"},
    "/accounts/password_reset/": {"email": "reader2@example.com"},
}


def malformed_header(r: Rehearsal, site: ScannedSite) -> tuple[bool, str]:
    """(e) Each form POSTed with ``X-Forwarded-For: garbage``: 400; without it: not 400, not 500.

    Where the header is not read, the garbage must change nothing: the same
    answer as without it.
    """
    seen = {}
    for path, template in MALFORMED.items():
        fields = {k: v.format(password=site.password) for k, v in template.items()}
        answers = []
        for extra in ({"X-Forwarded-For": "garbage"}, {}):
            browser = site.app()
            page = browser.get(path)
            forms = [f for f in parse_forms(page.text) if "csrfmiddlewaretoken" in f.fields]
            if not forms:
                answers.append(f"no form ({page.status})")
                continue
            headers = {"Referer": browser.page_url(path), **extra}
            answers.append(
                browser.post(path, {**forms[0].fields, **fields}, headers=headers).status
            )
        seen[path] = answers
    expected = (lambda plain: 400) if site.reads_forwarded_for else (lambda plain: plain)
    ok = all(
        garbage == expected(plain) and plain not in (400, 500) for garbage, plain in seen.values()
    )
    return ok, "statuses with garbage, without: " + ", ".join(
        f"{path} {garbage}, {plain}" for path, (garbage, plain) in seen.items()
    )


# The order matters: the sign-in checks count against the per-IP limit, the last the least.
CHECKS: tuple[tuple[str, Callable[[Rehearsal, ScannedSite], tuple[bool, str]]], ...] = (
    ("scan: the Observatory's rules give every public page 100 or more (A+)", observatory_scores),
    ("scan: everything under the instance folder is 0700/0600", file_modes),
    ("scan: an author gets 404 for another author's draft preview", draft_preview),
    (f"scan: the look-alike {LOOK_ALIKE!r} is held by reader1's sign-in limit", look_alike_name),
    (
        "scan: X-Forwarded-For: garbage is a 400 (or ignored) on the sign-in and reset forms",
        malformed_header,
    ),
)


def scan(r: Rehearsal, site: ScannedSite) -> None:
    """Run every check; one that raises is a failed check, and the rest still run."""
    _prepare(r, site)
    for name, check in CHECKS:
        try:
            ok, detail = check(r, site)
        except Exception as error:  # a crashed check is a finding, not the end of the rehearsal
            ok, detail = False, f"{type(error).__name__}: {error}"
        r.check(name, ok, detail)


def by_scheme(
    http: tuple[int, dict[str, str]], https: tuple[int, dict[str, str], object | None]
) -> observatory.Connect:
    """A connector: http URLs to one loopback port, https URLs to another (TLS when given)."""

    def connect(url: str) -> tuple[str, int, dict[str, str], object | None]:
        if url.startswith("https:"):
            return "127.0.0.1", https[0], https[1], https[2]
        return "127.0.0.1", http[0], http[1], None

    return connect
