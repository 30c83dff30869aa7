"""Rehearse a VPS: Debian's nginx with the shipped site in front of gunicorn,
PostgreSQL and a private Redis, all on loopback.

The shipped files are used as they are, with only what differs on this
machine substituted: loopback ports for 80/443/8000, a certificate made now
(never committed), and paths under the rehearsal's folder. Every substitution
must find its text, so the files and this rehearsal cannot drift apart.
"""

from __future__ import annotations

import grp
import html
import http.client
import json
import os
import secrets
import shutil
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from devtools.local_servers import LOOPBACK, PROJECT_ROOT, free_port, stop_group, wait_for_port

from . import security_scan
from .harness import (
    PYTHON,
    Rehearsal,
    clean_environment,
    ensure_debian_packages,
    write_env_file,
)
from .services import postgresql_database, private_redis
from .site import Admin, admin_login, backends_report, create_admin, is_admin_page, upload_image
from .web import Browser

# Seconds the whole rehearsal may take (REHEARSE_BUDGET overrides).
BUDGET = 300

HOST = "filamenta.test"
DATABASE = "filamenta_rehearse_vps"
VPS = PROJECT_ROOT / "deploy" / "vps"
PACKAGES = {
    "nginx": "/usr/sbin/nginx",
    "openssl": "/usr/bin/openssl",
    # The front cache's purge generation (deploy/vps/nginx.conf).
    "libnginx-mod-http-lua": "/usr/share/nginx/modules-available/mod-http-lua.conf",
}

NGINX_MAIN = """\
# The rehearsal's own main file: the shipped site is included as Debian's
# nginx.conf includes sites-enabled/*, inside http {{}}.
{user}
# The modules Debian's modules-enabled loads for the front cache (its paths are
# relative to /usr/share/nginx, not to this rehearsal's prefix).
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
worker_processes 1;
pid {w}/nginx.pid;
error_log {w}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {w}/nginx-tmp/body;
    proxy_temp_path {w}/nginx-tmp/proxy;
    fastcgi_temp_path {w}/nginx-tmp/fastcgi;
    uwsgi_temp_path {w}/nginx-tmp/uwsgi;
    scgi_temp_path {w}/nginx-tmp/scgi;
    access_log {w}/nginx-access.log;
    include {site};
}}
"""


def substitute(r: Rehearsal, text: str, replacements: dict[str, str], what: str) -> str:
    missing = [old for old in replacements if old not in text]
    r.require(f"{what} has every line the rehearsal adapts", not missing, f"not found: {missing}")
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def shipped_site(
    r: Rehearsal,
    *,
    ports: tuple[int, int, int, int],
    certificate: tuple[Path, Path],
    static_root: Path,
    media_root: Path,
    folder: Path,
    logs: Path,
) -> str:
    """deploy/vps/nginx.conf on loopback ports (http, https, gunicorn, purge); files in folder."""
    http_port, https_port, gunicorn_port, purge_port = ports
    cert, key = certificate
    return substitute(
        r,
        (VPS / "nginx.conf").read_text(),
        {
            "listen 80;": f"listen {LOOPBACK}:{http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen {LOOPBACK}:{https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "server_name example.com www.example.com;": f"server_name {HOST};",
            "server 127.0.0.1:8000;": f"server {LOOPBACK}:{gunicorn_port};",
            "/etc/letsencrypt/live/example.com/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/example.com/privkey.pem": str(key),
            "/srv/filamenta/staticfiles/": f"{static_root}/",
            "/srv/filamenta/media/": f"{media_root}/",
            "/var/log/nginx/": f"{logs}/",
            "/var/www/letsencrypt": str(folder / "acme"),
            "/var/cache/nginx/filamenta": str(folder / "nginx-cache"),
            "listen 127.0.0.1:8089;": f"listen {LOOPBACK}:{purge_port};",
        },
        "deploy/vps/nginx.conf",
    )


def self_signed_certificate(r: Rehearsal, folder: Path) -> tuple[Path, Path]:
    """A one-day certificate for filamenta.test and 127.0.0.1, made now, deleted after."""
    folder.mkdir()
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    made = r.run(
        "openssl",
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST},IP:{LOOPBACK}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        env=clean_environment(),
    )
    r.require("a throw-away TLS certificate is made", made.returncode == 0, made.stderr[-500:])
    return cert, key


# The site's unit, and the nightly backup's service and the timer that starts it,
# each with the lines the rehearsal adapts to this checkout (every one must be there).
UNITS = {
    "filamenta.service": {
        "/srv/filamenta/.venv/bin/gunicorn": str(Path(PYTHON).parent / "gunicorn"),
        "/srv/filamenta": str(PROJECT_ROOT),
    },
    "filamenta-backup.service": {
        "/srv/filamenta/.venv/bin/python": PYTHON,
        "/srv/filamenta": str(PROJECT_ROOT),
    },
    "filamenta-backup.timer": {},
}


def verify_unit(r: Rehearsal) -> None:
    if not shutil.which("systemd-analyze"):
        r.check("systemd unit: systemd-analyze is not installed here, not verified", True)
        return
    paths = []
    for name, replacements in UNITS.items():
        unit = substitute(r, (VPS / name).read_text(), replacements, f"deploy/vps/{name}")
        path = r.workdir / name
        path.write_text(unit)
        paths.append(str(path))
    result = r.run("systemd-analyze", ["systemd-analyze", "verify", *paths], env=os.environ.copy())
    # verify exits 0 on unknown keys and bad values, and only says so on stderr.
    complaints = [line for line in result.stderr.splitlines() if line.strip()]
    r.check(
        "systemd-analyze verify passes on the units (site, backup service, backup timer)",
        result.returncode == 0 and not complaints,
        "\n".join(complaints[-10:]),
    )


def rehearse(r: Rehearsal) -> None:
    if not ensure_debian_packages(r, PACKAGES):
        return
    verify_unit(r)
    env = clean_environment()
    database_url = postgresql_database(r, DATABASE)
    redis_url = private_redis(r, env)

    static_root, media_root = r.workdir / "staticfiles", r.workdir / "media"
    purge_port = free_port()  # nginx's purge listener, 8089 in the shipped file
    env_file = write_env_file(
        r.workdir / "site.env",
        {
            "DEPLOYMENT_TARGET": "vps",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "INSTANCE_DIR": str(r.workdir / "instance"),
            "STATIC_ROOT": str(static_root),
            "MEDIA_ROOT": str(media_root),
            # Low, so the scan's look-alike check reaches the limit in a few attempts.
            "LOGIN_RATE_PER_ACCOUNT": "3/15m",
            "EDGE_PURGE_URLS": f"http://{LOOPBACK}:{purge_port}/purge",
        },
    )
    env = clean_environment(FILAMENTA_ENV_FILE=str(env_file))

    # The guide's set-group-ID media folder, made before anything is uploaded (seed_demo's
    # pictures too): the site's user, nginx's group, inherited by every folder below.
    media_root.mkdir(exist_ok=True)
    media_root.chmod(0o2750)
    if os.geteuid() == 0:
        os.chown(media_root, -1, grp.getgrnam("www-data").gr_gid)
    (media_root / "rehearsal.txt").write_text("uploaded file\n")
    (media_root / "rehearsal.txt").chmod(0o640)
    # The guide's steps: migrate, collectstatic, an administrator.
    for step in (("migrate", "--no-input"), ("collectstatic", "--no-input")):
        done = r.manage(step[0], *step, env=env, timeout=240)
        r.require(f"manage.py {step[0]}", done.returncode == 0, done.stderr[-800:])
    admin = create_admin(r, env)
    seeded = r.manage("seed_demo", "seed_demo", "--users", "3", "--articles", "5", env=env)
    r.check("seed_demo fills the site", seeded.returncode == 0, seeded.stderr[-800:])

    gunicorn_port, http_port, https_port = free_port(), free_port(), free_port()
    cert, key = self_signed_certificate(r, r.workdir / "tls")
    logs = r.workdir / "nginx-logs"
    logs.mkdir()
    (r.workdir / "nginx-tmp").mkdir()
    site = shipped_site(
        r,
        ports=(http_port, https_port, gunicorn_port, purge_port),
        certificate=(cert, key),
        static_root=static_root,
        media_root=media_root,
        folder=r.workdir,
        logs=logs,
    )
    (r.workdir / "site.conf").write_text(site)
    main_conf = r.workdir / "nginx.conf"
    # As Debian's own nginx.conf: workers as www-data (when started as root).
    user = "user www-data www-data;" if os.geteuid() == 0 else ""
    main = NGINX_MAIN.format(w=r.workdir, site=r.workdir / "site.conf", user=user)
    # One worker per core, as Debian's own nginx.conf: the load figures measure a VPS.
    main_conf.write_text(main.replace("worker_processes 1;", "worker_processes auto;"))
    nginx_cmd = ["nginx", "-p", str(r.workdir), "-c", str(main_conf)]
    tested = r.run("nginx-t", [*nginx_cmd, "-t"], env=env)
    r.require("nginx -t passes on the shipped site", tested.returncode == 0, tested.stderr[-800:])

    gunicorn_env = {
        **env,
        "GUNICORN_BIND": f"{LOOPBACK}:{gunicorn_port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_ACCESS_LOG": str(r.workdir / "gunicorn-access.log"),
    }
    if os.environ.get("REHEARSE_LOAD"):
        # The shipped recycling (a worker restarts after about 1,000 requests) would put
        # Django's start-up, a second or two here, inside the 5 s load figures.
        gunicorn_env["GUNICORN_MAX_REQUESTS"] = "1000000"
    gunicorn = r.start(
        "gunicorn", ["gunicorn", "-c", str(VPS / "gunicorn.conf.py")], env=gunicorn_env
    )
    r.require(
        "gunicorn (deploy/vps/gunicorn.conf.py) listens on loopback",
        wait_for_port(gunicorn_port, timeout=60, process=gunicorn),
        r.log_tail("gunicorn"),
    )
    nginx = r.start("nginx", [*nginx_cmd, "-g", "daemon off;"], env=env)
    r.require(
        "nginx serves the site",
        wait_for_port(https_port, timeout=20, process=nginx),
        r.log_tail("nginx"),
    )

    def restart_gunicorn(label: str) -> subprocess.Popen:
        started = r.start(
            label, ["gunicorn", "-c", str(VPS / "gunicorn.conf.py")], env=gunicorn_env
        )
        wait_for_port(gunicorn_port, timeout=60, process=started)
        return started

    # First: the checks below sign in (a code is good once) and lock the account out.
    # An editor of its own: a code is good once, and the checks below sign in too.
    editor = create_admin(r, env)
    gunicorn, path = front_cache_checks(
        r, env, editor, https_port, cert, gunicorn, restart_gunicorn
    )
    if os.environ.get("REHEARSE_LOAD") and shutil.which("wrk"):
        ports = (https_port, gunicorn_port)
        load_figures(r, ports=ports, cert=cert, static_root=static_root, path=path)
        restart_under_load(r, https_port, cert, path, gunicorn, restart_gunicorn)
        print_figures()
    checks_through_nginx(r, env, admin, http_port, https_port, gunicorn_port, cert)


FIRST_ARTICLE = (
    "import json; from apps.content.models import Article; "
    "a = Article.objects.filter(status='published').order_by('pk').first(); "
    "print(json.dumps(a and [a.pk, a.slug, a.title]))"
)


def front_cache_checks(
    r: Rehearsal,
    env: dict[str, str],
    admin: Admin,
    https_port: int,
    cert: Path,
    gunicorn: subprocess.Popen,
    restart_gunicorn: Callable[[str], subprocess.Popen],
) -> tuple[subprocess.Popen, str]:
    """nginx answers anonymous readers, even with gunicorn stopped; an edit purges it at once.

    Returns the gunicorn now running (this stops and starts it) and the article's path.
    """
    tls = ssl.create_default_context(cafile=str(cert))

    def reader() -> Browser:
        return Browser(f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls)

    found = r.manage("front-article", "shell", "-c", FIRST_ARTICLE, env=env)
    article = json.loads((found.stdout.strip().splitlines() or ["null"])[-1])
    r.require("a published article for the front cache (seed_demo)", bool(article), found.stderr)
    pk, slug, title = article
    path = f"/articles/{slug}/"
    first, second = reader().get(path), reader().get(path)
    r.check(
        "nginx keeps the anonymous article: the second read is its HIT",
        first.status == second.status == 200 and second.header("X-Front-Cache") == "HIT",
        f"{first.header('X-Front-Cache')} then {second.header('X-Front-Cache')}",
    )
    r.check(
        "X-Accel-Expires (Django's offer to nginx) never reaches a reader",
        not second.header("X-Accel-Expires") and not first.header("X-Accel-Expires"),
        second.header("X-Accel-Expires"),
    )
    # The page is kept per language: nginx honours Django's Vary (Accept-Language,
    # Cookie), so a French reader, by header or by the switcher's cookie, is never
    # answered the English copy it just kept, and gets a French copy of its own.
    for how, headers in (
        ("Accept-Language", {"Accept-Language": "fr-FR,fr;q=0.9"}),
        ("the language cookie", {"Cookie": "django_language=fr"}),
        # Django weighs the tags: French here, though English comes first.
        ("a weighted Accept-Language", {"Accept-Language": "en;q=0.5, fr"}),
    ):
        french = Browser(f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls, always=headers)
        answers = [french.get(path) for _ in range(2)]
        r.check(
            f"a French reader ({how}) gets French through nginx, then nginx's French copy",
            all(a.status == 200 and a.header("Content-Language") == "fr" for a in answers)
            and all('<html lang="fr">' in a.text for a in answers)
            and answers[1].header("X-Front-Cache") == "HIT",
            str([(a.header("Content-Language"), a.header("X-Front-Cache")) for a in answers]),
        )
    english = reader().get(path)
    r.check(
        "an English reader still gets the English copy",
        english.header("Content-Language") == "en" and english.header("X-Front-Cache") == "HIT",
        f"{english.header('Content-Language')} {english.header('X-Front-Cache')}",
    )
    other_cookie = Browser(
        f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls, always={"Cookie": "csrftoken=x"}
    ).get(path)
    after_it = reader().get(path)
    r.check(
        "a reader with another cookie shares the copy and evicts nobody's (Vary is not keyed)",
        other_cookie.header("X-Front-Cache") == "HIT" and after_it.header("X-Front-Cache") == "HIT",
        f"{other_cookie.header('X-Front-Cache')} then {after_it.header('X-Front-Cache')}",
    )
    stop_group(gunicorn)
    down = reader().get(path)
    r.check(
        "with gunicorn stopped, nginx still answers the article from its cache",
        down.status == 200
        and html.escape(title) in down.text
        and down.header("X-Front-Cache") in ("HIT", "STALE"),
        f"{down.status} {down.header('X-Front-Cache')}",
    )
    gunicorn = restart_gunicorn("gunicorn-restarted")
    odd = reader().get(f"{path}?utm_source=x")
    r.check(
        "a made-up query string goes past the cache (BYPASS)",
        odd.status == 200 and odd.header("X-Front-Cache") == "BYPASS",
        f"{odd.status} {odd.header('X-Front-Cache')}",
    )
    editor = reader()
    signed = admin_login(editor, admin)
    r.check(
        "the administrator signs in through nginx",
        signed.status == 302 and "/admin/" in signed.header("Location"),
        f"{signed.status} {signed.header('Location')} {signed.text[:300]}",
    )
    signed_in = [editor.get(path) for _ in range(2)]
    r.check(
        "a signed-in reader never gets nginx's copy",
        all(s.status == 200 and s.header("X-Front-Cache") == "BYPASS" for s in signed_in),
        str([s.header("X-Front-Cache") for s in signed_in]),
    )
    failed_before = backends_report(r, env).get("front_cache", {}).get("purge_failures")
    new_title = f"{title} (edited behind nginx)"
    saved = editor.submit(f"/admin/content/article/{pk}/change/", {"title": new_title})
    published = time.monotonic()
    r.check("the article is edited through the admin", saved.status == 302, f"{saved.status}")
    after = reader().get(path)
    # Publish-to-visible, as the cPanel rehearsal times it: from the admin's answer
    # until an anonymous read through nginx shows the new title (3 s at most).
    seen = after
    while html.escape(new_title) not in seen.text and time.monotonic() - published < 3:
        seen = reader().get(path)
    if html.escape(new_title) in seen.text:
        FIGURES["publish_to_visible_s"] = round(time.monotonic() - published, 3)
    again = reader().get(path)
    r.check(
        "the edit shows on the next anonymous request (the site purged nginx)",
        html.escape(new_title) in after.text and after.header("X-Front-Cache") == "MISS",
        f"{after.header('X-Front-Cache')}",
    )
    r.check(
        "then nginx keeps the new page",
        html.escape(new_title) in again.text and again.header("X-Front-Cache") == "HIT",
        f"{again.header('X-Front-Cache')}",
    )
    front = backends_report(r, env).get("front_cache", {})
    r.check(
        "manage.py backends shows the purge, and it did not fail",
        bool(front.get("last_purged_at")) and front.get("purge_failures") == failed_before,
        f"{failed_before} failed before the edit (nginx not started yet); now {front}",
    )
    return gunicorn, path


# What load_figures, the publish timing and restart_under_load measured; printed with the
# verdicts, and written as JSON to REHEARSE_FIGURES (deploy/rehearsal/__main__.py).
FIGURES: dict[str, object] = {}
# The file nginx serves for the "same bytes as a static file" figure, in STATIC_ROOT.
STATIC_COPY = "front-cache-copy.html"
MINIMAL_VIEW = "/robots.txt?load=1"


def load_figures(
    r: Rehearsal, *, ports: tuple[int, int], cert: Path, static_root: Path, path: str
) -> None:
    """wrk, 8 connections, 5 s each: nginx's front-cache HIT, the same bytes as a static
    file from nginx, the smallest Django answer through nginx, and @cached_page's hit
    straight from gunicorn.

    The minimal view is robots.txt, the cheapest Django answer this site serves
    without bench/urls.py, with a query string its view never reads: nginx
    keeps a plain robots.txt (its second read is a HIT), and a made-up query
    string goes past the front cache (BYPASS), so every request reaches
    gunicorn through nginx. The @cached_page hit goes to gunicorn directly
    (X-Forwarded-Proto as nginx sends it), for context.
    Only with REHEARSE_LOAD=1 (about 25 s; gunicorn then recycles no worker).
    """
    from bench.throughput import run_wrk

    https_port, gunicorn_port = ports
    tls = ssl.create_default_context(cafile=str(cert))
    reader = Browser(f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls)
    page = reader.get(path)
    robots = [reader.get(MINIMAL_VIEW) for _ in range(2)]
    r.check(
        f"{MINIMAL_VIEW} (the minimal Django view) goes past nginx's cache, to gunicorn",
        all(a.status == 200 and a.header("X-Front-Cache") == "BYPASS" for a in robots),
        str([(a.status, a.header("X-Front-Cache")) for a in robots]),
    )
    copy = static_root / STATIC_COPY
    copy.write_bytes(page.body)
    copy.chmod(0o644)
    served = reader.get(f"/static/{STATIC_COPY}")
    r.check(
        f"nginx serves the article's bytes as a static file (/static/{STATIC_COPY})",
        page.header("X-Front-Cache") == "HIT" and served.status == 200 and served.body == page.body,
        f"article {page.header('X-Front-Cache')}; static {served.status}, "
        f"{len(served.body)} of {len(page.body)} bytes",
    )
    nginx = f"https://{LOOPBACK}:{https_port}"
    direct = f"http://{LOOPBACK}:{gunicorn_port}"
    for label, base, target, headers in (
        ("front cache hit", nginx, path, {"Host": HOST}),
        ("static file", nginx, f"/static/{STATIC_COPY}", {"Host": HOST}),
        ("minimal view", nginx, MINIMAL_VIEW, {"Host": HOST}),
        (
            "gunicorn cached_page hit",
            direct,
            path,
            {"Host": HOST, "X-Forwarded-Proto": "https"},
        ),
    ):
        try:
            # A second's warm-up first, as the bench's HTTP section does.
            run_wrk(base_url=base, paths=[target], seconds=1, connections=8, headers=headers)
            result = run_wrk(
                base_url=base, paths=[target], seconds=5, connections=8, headers=headers
            ).as_dict()
        except (RuntimeError, ValueError, OSError) as error:
            r.check(f"wrk measures {label}", False, str(error))
            continue
        FIGURES[label] = result
        r.check(
            f"wrk: {label} {result['rps']:,.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
            f"{result['errors']} errors",
            result["requests"] > 0 and result["errors"] == 0,
            str(result),
        )


# Seconds gunicorn stays stopped, and the readers' load before and after it.
RESTART_DOWN_SECONDS = 10
RESTART_MARGIN_SECONDS = 2


def restart_under_load(
    r: Rehearsal,
    https_port: int,
    cert: Path,
    path: str,
    gunicorn: subprocess.Popen,
    restart_gunicorn: Callable[[str], subprocess.Popen],
) -> subprocess.Popen:
    """Anonymous readers through nginx while gunicorn is stopped for 10 s and started again.

    Four threads, each on a kept-alive TLS connection, read the article, the
    home page and the article list in turn; every answer that is not a 200
    (or no answer) is an error. nginx answers from its cache, stale when a page
    expired (proxy_cache_use_stale), so the count must stay 0. Returns the new gunicorn.
    """
    tls = ssl.create_default_context(cafile=str(cert))
    paths = [path, "/", "/articles/"]
    warm = Browser(f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls)
    kept = [[warm.get(p) for _ in range(2)][-1].header("X-Front-Cache") for p in paths]
    r.check(
        f"the readers' pages are in nginx's cache before the restart ({', '.join(paths)})",
        kept == ["HIT"] * len(paths),
        str(dict(zip(paths, kept, strict=True))),
    )
    stop = threading.Event()
    lock = threading.Lock()
    counts: Counter[str] = Counter()

    def read() -> None:
        connection = None
        turn = 0
        while not stop.is_set():
            target = paths[turn % len(paths)]
            turn += 1
            try:
                if connection is None:
                    connection = http.client.HTTPSConnection(
                        LOOPBACK, https_port, timeout=10, context=tls
                    )
                connection.request("GET", target, headers={"Host": HOST})
                answer = connection.getresponse()
                answer.read()
                outcome = str(answer.status)
                cache = answer.getheader("X-Front-Cache") or "-"
            except (OSError, http.client.HTTPException) as error:
                outcome, cache = type(error).__name__, "-"
                connection = None
            with lock:
                counts[f"status {outcome}"] += 1
                counts[f"cache {cache}"] += 1

    readers = [threading.Thread(target=read, daemon=True) for _ in range(4)]
    for thread in readers:
        thread.start()
    time.sleep(RESTART_MARGIN_SECONDS)
    stop_group(gunicorn)
    stopped = time.monotonic()
    time.sleep(RESTART_DOWN_SECONDS)
    gunicorn = restart_gunicorn("gunicorn-after-load")
    down = time.monotonic() - stopped
    time.sleep(RESTART_MARGIN_SECONDS)
    stop.set()
    for thread in readers:
        thread.join(timeout=15)
    requests = sum(n for key, n in counts.items() if key.startswith("status "))
    errors = requests - counts["status 200"]
    FIGURES["restart"] = {
        "requests": requests,
        "errors": errors,
        "down_s": round(down, 1),
        "readers": len(readers),
        "answers": {k.split(" ", 1)[1]: n for k, n in counts.items() if k.startswith("status ")},
        "front_cache": {k.split(" ", 1)[1]: n for k, n in counts.items() if k.startswith("cache ")},
    }
    r.check(
        f"0 errors for anonymous readers while gunicorn is down {down:.1f} s and starts again "
        f"({errors} in {requests:,} requests)",
        errors == 0 and requests > 0,
        json.dumps(FIGURES["restart"]),
    )
    return gunicorn


def print_figures() -> None:
    from bench.targets import vps_verdicts

    print(f"  figures (VPS stack, wrk 8 connections): {json.dumps(FIGURES)}")
    for verdict in vps_verdicts({"vps": FIGURES}):
        print(f"  target: {verdict.target}: {verdict.measured} — {verdict.label}")


def checks_through_nginx(
    r: Rehearsal,
    env: dict[str, str],
    admin: object,
    http_port: int,
    https_port: int,
    gunicorn_port: int,
    cert: Path,
) -> None:
    tls = ssl.create_default_context(cafile=str(cert))
    browser = Browser(f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls)

    plain = Browser(f"http://{LOOPBACK}:{http_port}", host=HOST).get("/articles/")
    r.check(
        "plain HTTP is redirected to HTTPS",
        plain.status == 301 and plain.header("Location") == f"https://{HOST}/articles/",
        f"{plain.status} {plain.header('Location')}",
    )
    home = browser.get("/")
    r.check("the home page answers through nginx over TLS", home.status == 200, f"{home.status}")

    login_page = browser.get("/admin/login/")
    r.check(
        "the admin login page answers through nginx",
        login_page.status == 200,
        f"{login_page.status}",
    )
    stylesheet = next(
        (p.split('"', 1)[0] for p in login_page.text.split('rel="stylesheet" href="')[1:]), ""
    )
    css = browser.get(
        stylesheet or "/static/admin/css/base.css", headers={"Accept-Encoding": "gzip"}
    )
    r.check(
        "static files answer through nginx, gzipped, cached for a year",
        css.status == 200
        and css.header("Content-Encoding") == "gzip"
        and "immutable" in css.header("Cache-Control"),
        f"{stylesheet}: {css.status} encoding={css.header('Content-Encoding')!r} "
        f"cache={css.header('Cache-Control')!r}",
    )
    r.check(
        "static files carry HSTS and nosniff from nginx (Django never sees them)",
        css.header("Strict-Transport-Security").startswith("max-age=31536000")
        and css.header("X-Content-Type-Options") == "nosniff",
        f"Strict-Transport-Security={css.header('Strict-Transport-Security')!r} "
        f"X-Content-Type-Options={css.header('X-Content-Type-Options')!r}",
    )
    access_log = (r.workdir / "gunicorn-access.log").read_text()
    r.check(
        "static files never reach gunicorn",
        "/static/" not in access_log,
        "gunicorn logged a /static/ request",
    )
    media = browser.get("/media/rehearsal.txt")
    r.check(
        "media files answer through nginx, never sniffed",
        media.status == 200
        and media.text == "uploaded file\n"
        and media.header("X-Content-Type-Options") == "nosniff"
        and media.header("Strict-Transport-Security").startswith("max-age="),
        f"{media.status} {media.headers}",
    )

    # X-Forwarded-Proto: over TLS through nginx Django sees HTTPS (no redirect,
    # the CSRF check of a secure request passes); straight to gunicorn it does not.
    direct = Browser(f"http://{LOOPBACK}:{gunicorn_port}", host=HOST).get("/admin/login/")
    r.check(
        "without X-Forwarded-Proto Django redirects to HTTPS",
        direct.status == 301 and direct.header("Location").startswith("https://"),
        f"{direct.status} {direct.header('Location')}",
    )
    signed_in = admin_login(browser, admin)
    r.check(
        "X-Forwarded-Proto is honoured: the admin login over HTTPS succeeds",
        signed_in.status == 302 and signed_in.header("Location") == "/admin/",
        f"{signed_in.status} {signed_in.header('Location')!r} {signed_in.text[:200]}",
    )
    found = upload_image(r, browser, env, "Uploaded behind nginx")
    if found:
        image = browser.get(found[2])
        r.check(
            "nginx serves the uploaded image (0640 through its group), nosniff, never gunicorn",
            image.status == 200
            and image.header("Content-Type") == "image/jpeg"
            and image.header("X-Content-Type-Options") == "nosniff"
            and found[2] not in (r.workdir / "gunicorn-access.log").read_text(),
            f"{found[2]}: {image.status} {image.headers}",
        )
        rendition = browser.get(found[4] or "/media/no-rendition")
        r.check(
            "nginx serves the upload's 480 px WebP rendition too, never gunicorn",
            rendition.status == 200
            and rendition.header("Content-Type") == "image/webp"
            and rendition.header("X-Content-Type-Options") == "nosniff"
            and str(found[4]) not in (r.workdir / "gunicorn-access.log").read_text(),
            f"{found[4]}: {rendition.status} {rendition.headers}",
        )
    r.check("the admin session holds", is_admin_page(browser.get("/admin/")))
    session_cookie = next(
        (c for c in browser.set_cookie_lines if c.startswith("__Host-sessionid=")), ""
    )
    r.check(
        "the session cookie is __Host-, Secure and HttpOnly, at Path=/",
        "Secure" in session_cookie and "HttpOnly" in session_cookie and "Path=/;" in session_cookie,
        session_cookie or f"no __Host-sessionid in {browser.set_cookie_lines}",
    )

    report = backends_report(r, env)
    redis = report.get("redis", {})
    r.check(
        f"the site uses Redis (tier {report.get('tier')!r}, as its workers report)",
        report.get("tier") == "redis" and redis.get("state") == "closed",
        f"{report}",
    )
    health = browser.get("/healthz")
    r.check(
        "/healthz answers through nginx",
        health.status == 200 and json.loads(health.text or "{}").get("tier") == "redis",
        health.text[:300],
    )

    security_scan.scan(
        r,
        security_scan.ScannedSite(
            env=env,
            instance_dir=r.workdir / "instance",
            http_url=f"http://{HOST}",
            https_url=f"https://{HOST}",
            connect=security_scan.by_scheme((http_port, {}), (https_port, {}, tls)),
            app=lambda: Browser(
                f"http://{LOOPBACK}:{gunicorn_port}",
                host=HOST,
                always={"X-Forwarded-Proto": "https"},
            ),
        ),
    )

    # Last, since it fills the window for a minute: nginx's limit_req on sign-in.
    statuses = [
        Browser(browser.base, host=HOST, tls=tls).get("/accounts/login/").status for _ in range(25)
    ]
    r.check(
        f"nginx limits sign-in page requests (limit_req: 429 from request "
        f"{statuses.index(429) + 1 if 429 in statuses else '-'} of {len(statuses)})",
        429 in statuses and statuses[0] == 200,
        f"statuses {statuses}",
    )
