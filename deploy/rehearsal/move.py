"""Rehearse moving house: a cPanel site carried to a VPS and to a fleet by one archive.

The source is the cPanel stack (settings.cpanel, MariaDB, the file cache tier,
media on disk), filled with ``seed_demo`` and edited through the real admin
over HTTP: site settings, a user with a known password, a section, an image
uploaded through the media library, an article edited twice (revisions, tags,
the section, the image as its picture and in its body), and every act in the
history. What visitors see there is recorded (the public pages' HTML, each
media file's SHA-256 as the web server serves it), ``manage.py site_export``
writes the archive, and ``manage.py site_import`` loads it into

- the VPS stack: settings.vps, PostgreSQL, Redis, media on disk;
- the fleet stack: settings.production, PostgreSQL, Redis, media in an
  S3-compatible bucket (SeaweedFS, as rehearse-cluster runs it).

On each target: the rows are the manifest's, history and revisions are the
source's, the known user signs in through the sign-in form with the same
password and the administrator with the same password and authenticator, the
public pages are the source's byte for byte but for what is normalised below
(:func:`normalised`), and every media file is served with the source's SHA-256.
A second import without ``--replace`` is refused and changes nothing, and on
the VPS an archive damaged after export is refused even with ``--replace --yes``.

Choices, to keep it inside CI's time (about a minute on two cores):

- The source runs under gunicorn, not Apache + Passenger: rehearse-cpanel
  already proves the site under Passenger, and starting Apache again would
  double this rehearsal's time without touching what moves (the database, the
  media folder, the settings module). Apache's part in serving media from disk
  is played by nginx serving the media folder as the account's user "nobody"
  (cPanel's Apache runs as nobody); the VPS's media by nginx as www-data, as
  Debian's does. The shipped nginx site itself is rehearse-vps's.
- The three stacks share one collected static folder: static files are the
  release's, not the site's, and do not move. They share one private
  redis-server too, the VPS on database 0 and the fleet on database 1, so
  neither sees the other's keys.
- Every stack is reached under the site's own host name, as the visitors of
  a site that moved keep using it: no host is normalised away.
"""

from __future__ import annotations

import difflib
import grp
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from devtools.local_servers import LOOPBACK, PROJECT_ROOT, SeaweedS3, free_port, wait_for_port

from .cluster import BUCKET, seaweed_store
from .harness import (
    PYTHON,
    Rehearsal,
    clean_environment,
    ensure_debian_packages,
    write_env_file,
)
from .services import PrivateRedis, mariadb_database, postgresql_database
from .site import Admin, admin_login, create_admin, is_admin_page, upload_image
from .web import Browser, Response

# Seconds the whole rehearsal may take (REHEARSE_BUDGET overrides); it takes about 60
# on two busy cores.
BUDGET = 300

HOST = "filamenta.test"
TOTP_STEP = 30  # seconds: django-otp's TOTPDevice default, as create_admin's device has
# Every stack is behind TLS that ends in front of it (cPanel's Apache, nginx, a balancer).
FORWARDED = {"X-Forwarded-Proto": "https"}
GUNICORN_CONF = PROJECT_ROOT / "deploy" / "vps" / "gunicorn.conf.py"
PACKAGES = {"nginx": "/usr/sbin/nginx"}
BUCKET_PREFIX = "site"

SEED = ("--users", "5", "--articles", "30", "--no-progress")
EDITED_SLUG = "demo-article-0003"  # published by seed_demo, without a picture of its own
EDITED_TITLE = "Moving house, edited twice"
KNOWN_USER = "moving-reader"
SITE_NAME = "Filamenta, moved"
PUBLIC_PAGES = ("/", "/articles/", "/articles/?page=2", f"/articles/{EDITED_SLUG}/", "/feed/",
                "/sitemap.xml", "/robots.txt")  # fmt: skip
# The section's and the tag's pages, where the site has them (apps/content/urls.py).
TAXONOMY_PAGES = ("/sections/moving/", "/tags/moving/")
HISTORY_SHOWN = 500  # the latest history entries compared field by field: all of them here

# A private nginx serving one stack's media folder at /media/, as the web server in front does.
MEDIA_NGINX = """\
{user}
worker_processes 1;
pid {w}/nginx.pid;
error_log {w}/error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {w}/tmp;
    proxy_temp_path {w}/tmp;
    fastcgi_temp_path {w}/tmp;
    uwsgi_temp_path {w}/tmp;
    scgi_temp_path {w}/tmp;
    server {{
        listen {host}:{port};
        location /media/ {{ alias {media}/; }}
    }}
}}
"""

# What a site holds, read through its own models: the same script on every stack.
# ``P`` (prepended) names the known user, the edited article and the media files.
SNAPSHOT = """
import hashlib, json
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from apps.content.models import Article, ArticleRevision
from apps.siteadmin.models import AuditEntry

def entry(e):
    return {
        "id": e.pk, "created_at": e.created_at.isoformat(), "action": e.action,
        "actor": e.actor.get_username() if e.actor else None, "actor_name": e.actor_name,
        "ip": e.ip, "user_agent": e.user_agent, "summary": e.summary, "log_entry": e.log_entry_id,
        "content_type": list(e.content_type.natural_key()) if e.content_type else None,
        "object_id": e.object_id, "object_repr": e.object_repr, "message": e.message,
    }

revision_fields = ("number", "title", "slug", "body", "kind", "status", "published_at",
                   "unpublish_at", "meta_description", "section_name", "tags",
                   "featured_image_id", "created_by__username", "created_at", "message")
article = Article.objects.get(slug=P["slug"])
user = get_user_model().objects.get(username=P["user"])
print(json.dumps({
    "counts": {
        m._meta.label_lower: m._base_manager.count()
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    },
    "history": [entry(e) for e in AuditEntry.objects.order_by("-pk")[:P["history"]]],
    "revisions": list(ArticleRevision.objects.filter(article=article)
                      .order_by("number").values_list(*revision_fields)),
    "article": [article.title, article.section.name if article.section else None,
                sorted(article.tags.names()), article.featured_image_id],
    # A digest of the hash, never the hash itself, into the rehearsal's logs.
    "password": hashlib.sha256(user.password.encode()).hexdigest(),
    "urls": {name: default_storage.url(name) for name in P["media"]},
}, default=str))
"""

# A CSRF token or a CSP nonce differs on every response, wherever it is served.
CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
NONCE = re.compile(r'(nonce=")[^"]*(")')
# The stored name of a media file in a URL: never a quote, space, query or markup.
NAME = r"([^\s\"'<>?#&]+)"
# A bucket's pre-signed query: only its signature parameters (SigV4 X-Amz-*, or
# SigV2's AWSAccessKeyId/Signature/Expires), joined by & or, in HTML, &amp;, or,
# in the feed's HTML escaped once more inside the XML, &amp;amp;.
SIGNED_PARAM = r"(?:X-Amz-[A-Za-z-]+|AWSAccessKeyId|Signature|Expires)=[^&\s\"'<>]*"
SIGNED_QUERY = rf"(?:\?{SIGNED_PARAM}(?:(?:&amp;amp;|&amp;|&){SIGNED_PARAM})*)?"


@dataclass
class Stack:
    """One host's site: its settings, its database, its media and its servers."""

    name: str
    values: dict[str, str]
    tier: str  # the cache tier /healthz must report
    media_root: Path | None = None  # None: media in the bucket
    store: SeaweedS3 | None = None
    port: int = 0  # gunicorn
    media_port: int = 0  # nginx serving media_root
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None  # gunicorn

    def write_env(self, r: Rehearsal) -> None:
        path = write_env_file(r.workdir / f"{self.name}.env", self.values)
        self.env = clean_environment(FILAMENTA_ENV_FILE=str(path))

    def browser(self) -> Browser:
        return Browser(f"http://{LOOPBACK}:{self.port}", host=HOST, always=dict(FORWARDED))

    def media_patterns(self) -> list[re.Pattern[str]]:
        """How this stack's storage writes a media file's URL into a page; group 1 is the name.

        On disk: ``/media/<name>`` (after a quote, ``>``, a space or a comma as in
        ``srcset``, or ``&quot;`` inside the feed's escaped HTML), and
        ``https://filamenta.test/media/<name>`` where the site makes it absolute
        (og:image). In the bucket: ``<endpoint>/<bucket>/site/<name>`` and its
        signature query. Nothing else in a page is touched.
        """
        if self.store is None:
            return [
                re.compile(rf"https://{re.escape(HOST)}/media/{NAME}"),
                re.compile(rf"(?<=[\"'>\s,;])/media/{NAME}"),
            ]
        base = f"{self.store.endpoint}/{BUCKET}/{BUCKET_PREFIX}/"
        return [re.compile(re.escape(base) + NAME + SIGNED_QUERY)]


def phase(r: Rehearsal, what: str) -> None:
    """Where the time goes, in CI's log: seconds since the start, then what begins."""
    print(f"  -- {time.monotonic() - r.started:5.1f} s  {what}", flush=True)


def rehearse(r: Rehearsal) -> None:
    if not ensure_debian_packages(r, PACKAGES):
        return
    redis = PrivateRedis(r, clean_environment())
    static_root = r.workdir / "staticfiles"
    source = Stack(
        "cpanel",
        tier="file",
        values=common_values(r, "cpanel", static_root)
        | {
            "DATABASE_URL": mariadb_database(r, "filamenta_rehearse_move_cpanel"),
            # cPanel's Apache redirects to HTTPS itself.
            "SECURE_SSL_REDIRECT": "false",
            "MEDIA_ROOT": str(r.workdir / "cpanel" / "media"),
        },
        media_root=r.workdir / "cpanel" / "media",
    )
    vps = Stack(
        "vps",
        tier="redis",
        values=common_values(r, "vps", static_root)
        | {
            "DATABASE_URL": postgresql_database(r, "filamenta_rehearse_move_vps"),
            "REDIS_URL": redis.url,  # database 0
            "MEDIA_ROOT": str(r.workdir / "vps" / "media"),
        },
        media_root=r.workdir / "vps" / "media",
    )
    fleet = Stack(
        "fleet",
        tier="redis",
        values=common_values(r, "production", static_root)
        | {
            "DATABASE_URL": postgresql_database(r, "filamenta_rehearse_move_fleet"),
            "REDIS_URL": redis.url.removesuffix("/0") + "/1",
        },
    )
    for stack in (source, vps):
        stack.write_env(r)
    # A cPanel home folder: the account's, which Apache ("nobody") may only pass through.
    (r.workdir / "cpanel").mkdir(mode=0o711)
    group_media_folder(vps.media_root)

    # While the source is migrated, filled and edited, the targets are migrated
    # (the fleet as soon as its bucket answers: its settings name the store).
    fleet_ready = Background(lambda: fleet_store_and_migrate(r, fleet))
    migrating = {
        "cpanel-migrate": manage_in_background(r, source, "migrate", "--no-input"),
        "cpanel-collectstatic": manage_in_background(r, source, "collectstatic", "--no-input"),
        "vps-migrate": manage_in_background(r, vps, "migrate", "--no-input"),
    }
    for label in ("cpanel-migrate", "cpanel-collectstatic"):
        finished(r, label, migrating.pop(label))
    phase(r, "the source: an administrator, seed_demo, gunicorn, edits in the admin")
    seeding = manage_in_background(r, source, "seed_demo", *SEED)
    start_site(r, source)
    media_server(r, source, user="nobody nogroup")
    admin = create_admin(r, source.env)
    finished(r, "cpanel-seed_demo", seeding)
    edits = fill_through_the_admin(r, source, admin)

    phase(r, "the source: what visitors see, what the site holds, site_export")
    recorded_pages = record_pages(r, source)
    served = served_media(r, source)
    r.check(
        f"the source serves its {len(served)} media files from disk (nginx, as Apache would)",
        bool(served) and all(digest for digest in served.values()),
        f"not served: {[name for name, digest in served.items() if not digest]}",
    )
    params = {"user": KNOWN_USER, "slug": EDITED_SLUG, "history": HISTORY_SHOWN, "media": []}
    at_source = snapshot(r, source, params)
    r.check(
        "the source holds the edits: the article's title, section, tags and picture, its "
        f"revisions ({len(at_source['revisions'])}), history ({len(at_source['history'])} entries)",
        at_source["article"] == [EDITED_TITLE, "Moving", ["house", "moving"], edits.media_pk]
        and len(at_source["revisions"]) >= 3  # seed_demo's, then the two edits
        and len(at_source["history"]) > 0,
        f"article {at_source['article']}, revisions {len(at_source['revisions'])}",
    )
    archive = r.workdir / "filamenta-site.zip"
    exported = r.manage("site_export", "site_export", str(archive), env=source.env, timeout=180)
    r.require(
        "manage.py site_export writes the archive at the source",
        exported.returncode == 0 and archive.is_file(),
        (exported.stdout + exported.stderr)[-800:],
    )
    counts, media = archive_matches_source(r, archive, at_source, served)

    phase(r, "the targets: site_import")
    finished(r, "vps-migrate", migrating.pop("vps-migrate"))
    fleet_ready.result()
    imports = {
        s.name: manage_in_background(r, s, "site_import", str(archive)) for s in (vps, fleet)
    }
    for stack in (vps, fleet):
        finished(r, f"{stack.name}-site_import", imports[stack.name])
        start_site(r, stack, wait=False)
    media_server(r, vps, user="www-data www-data")

    phase(r, "the targets: rows, history, imports refused")
    params["media"] = sorted(media)
    imported: dict[str, dict] = {}

    def rows_and_refusals(stack: Stack) -> None:
        imported[stack.name] = snapshot(r, stack, params)
        same_site(r, stack, source, at_source, imported[stack.name], counts)
        after = refused_again(r, stack, archive, params, imported[stack.name])
        if stack is vps:
            damaged_refused(r, stack, archive, params, after)

    # Each target's commands one after the other, the two targets side by side.
    for running in [Background(lambda s=s: rows_and_refusals(s)) for s in (vps, fleet)]:
        running.result(timeout=240)

    for stack in (vps, fleet):
        phase(r, f"{stack.name}: pages, media, sign-in")
        site_answers(r, stack)
        same_pages(r, stack, source, recorded_pages)
        same_media(r, stack, served, imported[stack.name]["urls"], recorded_pages)
        signs_in(r, stack, admin, edits)
    phase(r, "done; stopping what was started")


def fleet_store_and_migrate(r: Rehearsal, fleet: Stack) -> None:
    """SeaweedFS started (rehearse-cluster's way), the fleet's settings written, then migrate."""
    fleet.store = seaweed_store(r)
    # Its data is thrown away with the working folder: no need for SIGTERM's 10 s grace.
    r.defer("seaweedfs, killed", fleet.store.kill)
    fleet.values["MEDIA_STORAGE_URL"] = fleet.store.url(BUCKET, BUCKET_PREFIX)
    fleet.write_env(r)
    finished(r, "fleet-migrate", manage_in_background(r, fleet, "migrate", "--no-input"))


def archive_matches_source(
    r: Rehearsal, archive: Path, at_source: dict, served: dict[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    """The manifest's counts and files are the source's: (rows per model, SHA-256 per file)."""
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    counts = {part["label"]: part["rows"] for part in manifest["parts"]}
    media = {item["name"]: item["sha256"] for item in manifest["media"]}
    size_mb = archive.stat().st_size / 1e6
    r.check(
        f"the manifest's row counts are the source's ({sum(counts.values())} rows in "
        f"{len(counts)} models, {size_mb:.1f} MB, from {manifest['source_vendor']})",
        all(at_source["counts"].get(label) == rows for label, rows in counts.items()),
        differences(at_source["counts"], counts),
    )
    r.check(
        f"the archive holds every media file the source served, with its SHA-256 ({len(media)})",
        media == served,
        f"only served: {sorted(set(served) - set(media))}; only in the archive: "
        f"{sorted(set(media) - set(served))}; differing: "
        f"{sorted(n for n in set(media) & set(served) if media[n] != served[n])}",
    )
    return counts, media


# -- the stacks ----------------------------------------------------------------
def common_values(r: Rehearsal, target: str, static_root: Path) -> dict[str, str]:
    """What every host's .env has; each target its own key, as a new host's operator makes."""
    return {
        "DEPLOYMENT_TARGET": target,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "INSTANCE_DIR": str(r.workdir / target / "instance"),
        "STATIC_ROOT": str(static_root),
    }


def group_media_folder(media_root: Path) -> None:
    """The VPS guide's media folder: set-group-ID, www-data's group, made before any upload."""
    media_root.mkdir(parents=True)
    media_root.chmod(0o2750)
    if os.geteuid() == 0:
        os.chown(media_root, -1, grp.getgrnam("www-data").gr_gid)


class Background:
    """A call run in a thread (SeaweedFS takes seconds to answer); ``result()`` waits for it."""

    def __init__(self, call: Callable[[], object]) -> None:
        self._value: object = None
        self._error: BaseException | None = None
        # A daemon: a rehearsal that stops half-way does not wait for it.
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], object]) -> None:
        try:
            self._value = call()
        except BaseException as error:  # handed to the caller of result()
            self._error = error

    def result(self, timeout: float = 120) -> object:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"still running after {timeout:.0f} s")
        if self._error is not None:
            raise self._error
        return self._value


def manage_in_background(r: Rehearsal, stack: Stack, *args: str) -> subprocess.Popen:
    """``manage.py args`` started now, logged to ``<stack>-<command>.log``, stopped at the end."""
    return r.start(f"{stack.name}-{args[0]}", [PYTHON, "manage.py", *args], env=stack.env)


def finished(r: Rehearsal, label: str, process: subprocess.Popen) -> None:
    """Wait for a background command; the rehearsal cannot go on unless it succeeded."""
    try:
        code = process.wait(timeout=240)
    except subprocess.TimeoutExpired:
        code = None
    stack, command = label.split("-", 1)
    r.require(f"{stack}: manage.py {command}", code == 0, r.log_tail(label, 20))


def start_site(r: Rehearsal, stack: Stack, *, wait: bool = True) -> None:
    """gunicorn with the shipped configuration and one worker, on a free port."""
    stack.port = free_port()
    stack.process = r.start(
        f"{stack.name}-gunicorn",
        ["gunicorn", "-c", str(GUNICORN_CONF)],
        env={**stack.env, "GUNICORN_BIND": f"{LOOPBACK}:{stack.port}", "GUNICORN_WORKERS": "1"},
    )
    if wait:
        site_answers(r, stack)


def site_answers(r: Rehearsal, stack: Stack) -> None:
    """gunicorn listens, and /healthz says the stack is what it claims (its cache tier)."""
    r.require(
        f"{stack.name}: gunicorn ({stack.values['DEPLOYMENT_TARGET']}) listens on {stack.port}",
        wait_for_port(stack.port, timeout=60, process=stack.process),
        r.log_tail(f"{stack.name}-gunicorn"),
    )
    health = stack.browser().get("/healthz")
    tier = json.loads(health.text or "{}").get("tier") if health.status == 200 else None
    r.check(
        f"{stack.name}: /healthz answers on the {stack.tier} cache tier",
        tier == stack.tier,
        f"{health.status} {health.text[:300]}",
    )


def media_server(r: Rehearsal, stack: Stack, *, user: str) -> None:
    """nginx serving the stack's media folder at /media/, its workers as ``user`` (as root)."""
    folder = r.workdir / f"{stack.name}-nginx"
    (folder / "tmp").mkdir(parents=True)
    stack.media_port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        MEDIA_NGINX.format(
            user=f"user {user};" if os.geteuid() == 0 else "",
            w=folder,
            host=LOOPBACK,
            port=stack.media_port,
            media=stack.media_root,
        )
    )
    process = r.start(
        f"{stack.name}-nginx",
        ["nginx", "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
        env=stack.env,
    )
    r.require(
        f"{stack.name}: nginx serves the media folder",
        wait_for_port(stack.media_port, timeout=20, process=process),
        r.log_tail(f"{stack.name}-nginx"),
    )


# -- filling the source, as its people would -------------------------------------
def admin_pk(browser: Browser, model: str, search: str) -> str:
    """The primary key of the first row the admin's list of ``model`` finds for ``search``."""
    page = browser.get(f"/admin/{model}/?q={quote(search)}")
    found = re.search(rf'href="/admin/{re.escape(model)}/(\d+)/change/', page.text)
    return found.group(1) if found else ""


@dataclass
class Edits:
    password: str  # the known user's
    media_pk: int | None  # the uploaded image's
    totp_step: int  # the time step of the administrator's code at the source


def fill_through_the_admin(r: Rehearsal, source: Stack, admin: Admin) -> Edits:
    """Edits a site owner makes over HTTP."""
    staff = source.browser()
    signed_in = admin_login(staff, admin)
    totp_step = int(time.time() // TOTP_STEP)
    r.require(
        "the administrator signs in at the source (password and authenticator)",
        signed_in.status == 302 and is_admin_page(staff.get("/admin/")),
        f"{signed_in.status} {signed_in.header('Location')}",
    )
    saved = staff.submit(
        "/admin/siteadmin/sitesettings/1/change/",
        {"site_name": SITE_NAME, "tagline": "Carried from cPanel in one archive"},
    )
    r.check("the site settings are changed in the admin", saved.status == 302, saved.text[:300])

    password = secrets.token_urlsafe(18)
    made = staff.submit(
        "/admin/users/user/add/",
        {"username": KNOWN_USER, "password1": password, "password2": password},
    )
    r.check(
        f"a user with a known password ({KNOWN_USER}) is added in the admin",
        made.status == 302,
        f"{made.status} {form_errors(made)}",
    )
    made = staff.submit(
        "/admin/content/section/add/",
        {"name": "Moving", "slug": "moving", "description": "Notes on changing hosts."},
    )
    r.check("a section is added in the admin", made.status == 302, form_errors(made))
    found = upload_image(r, staff, source.env, "Packed for the move")
    media_pk, url = (found[0], found[2]) if found else (None, "")

    article = admin_pk(staff, "content/article", EDITED_SLUG)
    section = admin_pk(staff, "content/section", "moving")
    change = f"/admin/content/article/{article}/change/"
    first = staff.submit(
        change,
        {
            "title": "Moving house, edited once",
            "section": section,
            "tags": "moving, house",
            "featured_image": str(media_pk or ""),
        },
    )
    second = staff.submit(
        change,
        {
            "title": EDITED_TITLE,
            "body": f'<p>Everything came along.</p><p><img src="{url}" alt="Boxes"></p>',
        },
    )
    r.check(
        f"the article {EDITED_SLUG} is edited twice in the admin (section, tags, picture, "
        "image in the body)",
        bool(article and section) and first.status == 302 and second.status == 302,
        f"pk {article!r}, section {section!r}: {first.status} {form_errors(first)} "
        f"{second.status} {form_errors(second)}",
    )
    return Edits(password=password, media_pk=media_pk, totp_step=totp_step)


def form_errors(response: Response) -> str:
    """The admin's error notes, to say why a form was not accepted."""
    notes = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text, re.S)
    return re.sub(r"<[^>]+>", " ", " | ".join(notes))[:400] or response.text[:200]


# -- what the site is --------------------------------------------------------------
def snapshot(r: Rehearsal, stack: Stack, params: dict[str, object]) -> dict:
    """:data:`SNAPSHOT` under the stack's settings: rows, history, revisions, URLs."""
    script = f"P = {json.dumps(params)!r}\nimport json as _j\nP = _j.loads(P)\n{SNAPSHOT}"
    result = r.manage(f"{stack.name}-snapshot", "shell", "-c", script, env=stack.env)
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        r.require(f"{stack.name}: the site's rows can be read", False, result.stderr[-800:])
        raise


def media_inventory(stack: Stack) -> dict[str, list]:
    """Every stored media file: on disk its size and modification time, in the bucket its ETag."""
    if stack.store is None:
        return {
            str(path.relative_to(stack.media_root)): [path.stat().st_size, path.stat().st_mtime_ns]
            for path in stack.media_root.rglob("*")
            if path.is_file()
        }
    listed = stack.store.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{BUCKET_PREFIX}/")
    return {o["Key"]: [o["Size"], o["ETag"]] for o in listed.get("Contents", [])}


def differences(have: dict, want: dict, want_is: str = "in the manifest") -> str:
    return ", ".join(
        f"{label}: {have.get(label)} here, {want.get(label)} {want_is}"
        for label in sorted(set(want))
        if have.get(label) != want.get(label)
    )


def same_site(
    r: Rehearsal, stack: Stack, origin: Stack, source: dict, target: dict, counts: dict
) -> None:
    """Rows, history, revisions and the password as the source had them."""
    name = stack.name
    r.check(
        f"{name}: every model's row count is the manifest's ({len(counts)} models)",
        all(target["counts"].get(label) == rows for label, rows in counts.items()),
        differences(target["counts"], counts),
    )
    audit = "siteadmin.auditentry"
    r.check(
        f"{name}: the history is intact ({target['counts'][audit]} entries, "
        f"{len(source['history'])} compared field by field)",
        target["counts"][audit] == source["counts"][audit]
        and target["history"] == source["history"],
        first_difference(source["history"], target["history"]),
    )
    want = [*revisions_seen(source, origin), source["article"]]
    have = [*revisions_seen(target, stack), target["article"]]
    r.check(
        f"{name}: the edited article and its {len(source['revisions'])} revisions are the "
        "source's (but for media URLs in bodies, as each storage writes them)",
        want == have,
        first_difference(want, have),
    )
    r.check(
        f"{name}: {KNOWN_USER}'s password hash is carried as it was",
        target["password"] == source["password"],
    )


def revisions_seen(snapshot: dict, stack: Stack) -> list[list]:
    """The snapshot's revisions, their bodies (field 3) under :func:`normalised` for either
    storage: a stored body may keep the source's media URLs (pages resolve each to the
    storage's current URL, apps/media/body_urls.py) or have them rewritten for the new
    storage, and nothing else may differ."""
    disk = Stack("disk", {}, "")
    return [
        [*rev[:3], normalised(normalised(rev[3], stack), disk), *rev[4:]]
        for rev in snapshot["revisions"]
    ]


def first_difference(want: list, have: list) -> str:
    """The first item that differs, and in it only the fields that differ."""
    for n, (a, b) in enumerate(zip(want, have, strict=False)):
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                keys = [k for k in a if a.get(k) != b.get(k)]
                a, b = {k: a.get(k) for k in keys}, {k: b.get(k) for k in keys}
            elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                a, b = (
                    {i: x for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y},
                    {i: y for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y},
                )
            return f"item {n}: at the source {a!r:.300}\n        here {b!r:.300}"
    return f"{len(want)} items at the source, {len(have)} here"


def line_differences(want: str, have: str, limit: int = 6) -> str:
    """The lines that differ, each cut to the neighbourhood of its first differing character."""
    out = []
    matcher = difflib.SequenceMatcher(None, want.splitlines(), have.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = zip_longest(matcher.a[i1:i2], matcher.b[j1:j2], fillvalue="")
        for line, (a, b) in enumerate(pairs, start=i1 + 1):
            at = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
            start = max(0, at - 60)
            out += [
                f"source, line {line}: …{a[start : start + 160]}",
                f"here,   line {line}: …{b[start : start + 160]}",
            ]
            if len(out) >= 2 * limit:
                return "\n        ".join(out)
    return "\n        ".join(out)


def refused_again(r: Rehearsal, stack: Stack, archive: Path, params: dict, before: dict) -> dict:
    """The same archive once more, without --replace: refused, nothing changed; the snapshot."""
    stored = media_inventory(stack)
    again = r.manage(f"{stack.name}-import-again", "site_import", str(archive), env=stack.env)
    message = (again.stdout + again.stderr).strip()
    r.check(
        f"{stack.name}: importing again without --replace is refused (exit {again.returncode}) "
        "and says what to do",
        again.returncode != 0 and "--replace" in message,
        message[-600:],
    )
    return unchanged(r, stack, params, before, stored, "after the refused import")


def damaged_refused(r: Rehearsal, stack: Stack, archive: Path, params: dict, before: dict) -> None:
    """One byte of a data part flipped after export: refused even with --replace --yes."""
    damaged = r.workdir / "damaged.zip"
    shutil.copyfile(archive, damaged)
    with zipfile.ZipFile(archive) as zf:
        part = max((i for i in zf.infolist() if i.filename.startswith("data/")),
                   key=lambda i: i.compress_size)  # fmt: skip
        # The local header is 30 bytes, then the name and the extra field, then the data.
        with damaged.open("r+b") as handle:
            handle.seek(part.header_offset + 26)
            name_length, extra_length = (int.from_bytes(handle.read(2), "little") for _ in "ne")
            handle.seek(
                part.header_offset + 30 + name_length + extra_length + part.compress_size // 2
            )
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
    stored = media_inventory(stack)
    result = r.manage(
        f"{stack.name}-import-damaged", "site_import", str(damaged), "--replace", "--yes",
        env=stack.env,
    )  # fmt: skip
    message = (result.stdout + result.stderr).strip()
    r.check(
        f"{stack.name}: an archive damaged after export ({part.filename}) is refused even with "
        f"--replace --yes (exit {result.returncode})",
        result.returncode != 0 and "Traceback" not in message,
        message[-600:],
    )
    unchanged(r, stack, params, before, stored, "after the damaged archive")


def unchanged(
    r: Rehearsal, stack: Stack, params: dict, before: dict, stored: dict, when: str
) -> dict:
    """A check that the site's rows and media are ``before`` and ``stored``; the snapshot."""
    after = snapshot(r, stack, params)
    keys = ("counts", "history", "revisions", "article", "password")
    r.check(
        f"{stack.name}: the site is as it was {when} (rows, history, media files)",
        all(after[k] == before[k] for k in keys) and media_inventory(stack) == stored,
        differences(after["counts"], before["counts"], "before")
        or "history, revisions or media differ",
    )
    return after


# -- what visitors see ---------------------------------------------------------------
def record_pages(r: Rehearsal, stack: Stack) -> dict[str, str]:
    """The public pages' HTML as an anonymous visitor gets it."""
    visitor = stack.browser()
    pages = {path: visitor.get(path) for path in PUBLIC_PAGES}
    # Compared too once the site has them; a 404 here means not yet, anything else is an answer.
    for path in TAXONOMY_PAGES:
        if (page := visitor.get(path)).status != 404:
            pages[path] = page
    r.check(
        f"{stack.name}: the public pages answer ({', '.join(pages)})",
        all(page.status == 200 for page in pages.values()),
        f"{ {path: page.status for path, page in pages.items()} }",
    )
    article = pages[f"/articles/{EDITED_SLUG}/"].text
    r.check(
        f"{stack.name}: the edited article shows its new title, the site's new name and "
        "the image in its body",
        all(text in article for text in (EDITED_TITLE, SITE_NAME, 'alt="Boxes"')),
    )
    return {path: page.text for path, page in pages.items()}


def normalised(html: str, stack: Stack) -> str:
    """The page with what may differ between hosts made equal, and nothing else.

    - the value of ``csrfmiddlewaretoken`` inputs and of ``nonce`` attributes
      (made per response);
    - media URLs as the stack's storage writes them (:meth:`Stack.media_patterns`),
      each replaced by ``MEDIA:<stored name>``.

    Host, scheme, static URLs, dates and everything else are compared as they are.
    """
    html = CSRF_VALUE.sub(r"\1CSRF\2", html)
    html = NONCE.sub(r"\1NONCE\2", html)
    for pattern in stack.media_patterns():
        html = pattern.sub(lambda m: f"MEDIA:{m.group(1)}", html)
    return html


def same_pages(r: Rehearsal, stack: Stack, source: Stack, recorded: dict[str, str]) -> None:
    visitor = stack.browser()
    for path, html in recorded.items():
        page = visitor.get(path)
        want, have = normalised(html, source), normalised(page.text, stack)
        r.check(
            f"{stack.name}: {path} is the source's page (but for media URLs, tokens, nonces)",
            page.status == 200 and want == have,
            f"status {page.status}\n        {line_differences(want, have)}",
        )


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def fetch_media(stack: Stack, url: str) -> Response:
    """A media URL as a visitor's browser fetches it from the page it is in."""
    # Once for HTML, twice for the feed's HTML inside XML.
    while "&amp;" in url:
        url = url.replace("&amp;", "&")
    if url.startswith(("http://", "https://")) and not url.startswith(f"https://{HOST}/"):
        # The bucket: a signature covers the Host header, so send the one the URL names.
        return Browser(url, host=urlsplit(url).netloc).get(url)
    path = urlsplit(urljoin(f"https://{HOST}/", url)).path
    if stack.media_root is not None and path.startswith("/media/"):
        # On disk the web server in front answers /media/ (nginx here).
        return Browser(f"http://{LOOPBACK}:{stack.media_port}", host=HOST).get(path)
    return stack.browser().get(path)  # whatever else answers at the site's address


def served_media(r: Rehearsal, stack: Stack) -> dict[str, str]:
    """SHA-256 of every file in the stack's media folder, as its web server serves it."""
    digests = {}
    for path in sorted(p for p in stack.media_root.rglob("*") if p.is_file()):
        name = str(path.relative_to(stack.media_root))
        answer = fetch_media(stack, f"/media/{quote(name)}")
        digests[name] = sha256(answer.body) if answer.status == 200 else ""
    return digests


def page_media_urls(html: str, stack: Stack) -> dict[str, str]:
    """Every media URL the page gives, by stored name, as the stack's storage writes it."""
    found = {}
    for pattern in stack.media_patterns():
        for match in pattern.finditer(html):
            found.setdefault(unquote(match.group(1)), match.group(0))
    # A URL of the other storage (a body written at the source): what the page still says.
    for match in re.finditer(rf"(?<=[\"'>\s,;])/media/{NAME}", html):
        found.setdefault(unquote(match.group(1)), match.group(0))
    return found


def same_media(
    r: Rehearsal, stack: Stack, served: dict[str, str], urls: dict[str, str], pages: dict
) -> None:
    """Every media file and every media URL of the pages answers with the source's bytes."""
    if stack.store is None:
        urls = {name: f"/media/{quote(name)}" for name in served}
    wrong = []
    for name, digest in served.items():
        answer = fetch_media(stack, urls.get(name, ""))
        if answer.status != 200 or sha256(answer.body) != digest:
            wrong.append(f"{name}: {answer.status}")
    where = "the bucket, by the URLs the site signs" if stack.store else "disk, through nginx"
    r.check(
        f"{stack.name}: all {len(served)} media files are served from {where} with the "
        "source's SHA-256",
        not wrong,
        "; ".join(wrong[:6]),
    )
    visitor = stack.browser()
    referenced = {}
    for path in pages:
        referenced.update(page_media_urls(visitor.get(path).text, stack))
    broken = []
    for name, url in sorted(referenced.items()):
        answer = fetch_media(stack, url)
        if answer.status != 200 or sha256(answer.body) != served.get(name):
            broken.append(f"{url[:90]} -> {answer.status}")
    stale = stack.store is not None and any(b.startswith("/media/") for b in broken)
    r.check(
        f"{stack.name}: every media URL in its public pages ({len(referenced)}) answers with "
        "the source's file",
        bool(referenced) and not broken,
        "; ".join(broken[:6])
        + (
            "\n        (a /media/ URL on the bucket's site: an article body keeps the URL the "
            "editor inserted at the source, and nothing rewrote it for the new storage)"
            if stale
            else ""
        ),
    )


def signs_in(r: Rehearsal, stack: Stack, admin: Admin, edits: Edits) -> None:
    """The known user through the sign-in form; the administrator with the authenticator too."""
    password = edits.password
    reader = stack.browser()
    answer = reader.submit("/accounts/login/", {"username": KNOWN_USER, "password": password})
    profile = reader.get("/accounts/profile/")
    r.check(
        f"{stack.name}: {KNOWN_USER} signs in through the sign-in form with the same password",
        answer.status == 302 and profile.status == 200 and KNOWN_USER in profile.text,
        f"{answer.status} {answer.header('Location')} -> profile {profile.status}",
    )
    # The authenticator's device came along with the step of its last code, and refuses
    # that step again (replay protection): sign in with a later one.
    time.sleep(max(0.0, (edits.totp_step + 1) * TOTP_STEP - time.time()))
    staff = stack.browser()
    admin_login(staff, admin)
    r.check(
        f"{stack.name}: the administrator signs in with the same password and authenticator",
        is_admin_page(staff.get("/admin/")),
    )
