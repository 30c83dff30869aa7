"""Rehearse cPanel: real Apache + Phusion Passenger at /filamenta, MariaDB, no Redis.

This is the stack cPanel's "Setup Python App" runs: Apache's mod_passenger
loads passenger_wsgi.py from the app root with the app's own Python, mounted
at a sub-path. Apache here is private (own ServerRoot, PidFile, logs, loopback
port) and Passenger's update check and telemetry are off. What it shows:
pages and static files answer under the prefix, an admin login made on one
process holds on the other, a rate limit counts across processes, and nothing
was pointed at Redis.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devtools.local_servers import LOOPBACK, PROJECT_ROOT, free_port, wait_for_port

from . import security_scan
from .harness import (
    PYTHON,
    Rehearsal,
    clean_environment,
    ensure_debian_packages,
    write_env_file,
)
from .services import MARIADB_URL, mariadb_database
from .site import (
    Admin,
    admin_login,
    backends_report,
    bad_login,
    create_admin,
    is_admin_page,
    login_rate_per_account,
    upload_image,
)
from .vps import self_signed_certificate
from .web import Browser

# Seconds the whole rehearsal may take (REHEARSE_BUDGET overrides).
BUDGET = 420

PREFIX = "/filamenta"
DATABASE = "filamenta_rehearse_cpanel"
MODULES = Path("/usr/lib/apache2/modules")
PACKAGES = {
    "apache2": "/usr/sbin/apache2",
    "libapache2-mod-passenger": str(MODULES / "mod_passenger.so"),
    "passenger": "/usr/sbin/passenger-status",
}

HTTPD_CONF = """\
# Private Apache for the rehearsal: nothing here touches /etc/apache2.
ServerRoot {root}
ServerName {host}
Listen {host}:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn
{user_lines}
# EasyApache 4 installs the prefork MPM by default (cPanel's documentation,
# "Multi-Processing Modules: MPMs"), so the rehearsal runs it too.
LoadModule mpm_prefork_module {modules}/mod_mpm_prefork.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule dir_module {modules}/mod_dir.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule env_module {modules}/mod_env.so
# In EasyApache 4's default profile: the media .htaccess sets its headers with it.
LoadModule headers_module {modules}/mod_headers.so
# In EasyApache 4's default profile too: the public folder's static-page rules.
LoadModule rewrite_module {modules}/mod_rewrite.so
LoadModule passenger_module {modules}/mod_passenger.so
LoadModule ssl_module {modules}/mod_ssl.so
LoadModule socache_shmcb_module {modules}/mod_socache_shmcb.so
TypesConfig /etc/mime.types
# TLS as cPanel's AutoSSL gives it, and its "Force HTTPS Redirect" on a plain
# port (the plain Listen above stays, for the checks that speak plain HTTP).
Listen {host}:{tls_port}
Listen {host}:{redirect_port}
SSLSessionCache shmcb:{root}/ssl_scache(512000)
<VirtualHost {host}:{tls_port}>
    SSLEngine on
    SSLCertificateFile {cert}
    SSLCertificateKeyFile {key}
</VirtualHost>
<VirtualHost {host}:{redirect_port}>
    Redirect permanent / https://localhost:{tls_port}/
    <Location {prefix}>
        PassengerEnabled off
    </Location>
</VirtualHost>

PassengerRoot /usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini
PassengerDefaultRuby /usr/bin/ruby
PassengerInstanceRegistryDir {root}/registry
PassengerLogFile {root}/passenger.log
# Without these two Passenger calls home at start-up.
PassengerDisableSecurityUpdateCheck on
PassengerDisableAnonymousTelemetry on
# Two processes, as a small cPanel plan gives: the pool never grows past them.
PassengerMaxPoolSize 2
PassengerMaxInstancesPerApp 2
PassengerPreStart http://{host}:{port}{prefix}/
{passenger_user_lines}
Alias {prefix} {public}
<Location {prefix}>
    PassengerBaseURI {prefix}
    PassengerAppRoot {app_root}
    PassengerAppType wsgi
    PassengerStartupFile passenger_wsgi.py
    PassengerPython {python}
    PassengerMinInstances 2
    # The panel's "Environment variables" become SetEnv lines like this one.
    SetEnv FILAMENTA_ENV_FILE {env_file}
</Location>
<Directory />
    AllowOverride None
    Require all denied
</Directory>
# Apache's own ceiling on this machine, for the load figures only: the same
# bytes as a page's copy, with no .htaccess to read and no Passenger to ask.
Alias /apache-ceiling {root}/ceiling
<Location /apache-ceiling>
    PassengerEnabled off
</Location>
<Directory {root}/ceiling>
    AllowOverride None
    Require all granted
</Directory>
<Directory {public}>
    Options -MultiViews
    # As cPanel allows in an account's folders: the media .htaccess (setup_site.py).
    AllowOverride FileInfo Indexes Options=Indexes
    Require all granted
</Directory>
"""


def passenger_processes(registry: Path) -> dict[str, int]:
    """{pid: requests processed} for each application process Passenger runs."""
    result = subprocess.run(
        ["passenger-status", "--show=xml"],  # noqa: S607
        env={**os.environ, "PASSENGER_INSTANCE_REGISTRY_DIR": str(registry)},
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    start = result.stdout.find("<?xml")
    if result.returncode != 0 or start < 0:
        return {}
    root = ET.fromstring(result.stdout[start:].encode("iso-8859-1", errors="replace"))  # noqa: S314 - Passenger's own status
    return {
        proc.findtext("pid", ""): int(proc.findtext("processed", "0"))
        for proc in root.iter("process")
    }


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {pid: after[pid] - before.get(pid, 0) for pid in after}


def rehearse(r: Rehearsal) -> None:
    if not ensure_debian_packages(r, PACKAGES):
        return
    database_url = mariadb_database(r, DATABASE)
    db = database_url.rsplit("/", 1)[-1]
    user = MARIADB_URL.split("://", 1)[1].split("@")[0].split(":")[0] or "root"

    root = r.workdir / "apache"
    public = r.workdir / "public_html"  # the document root Passenger's Alias points at
    for folder in (root, root / "registry", public):
        folder.mkdir(parents=True)
    port, tls_port, redirect_port = free_port(), free_port(), free_port()
    base = f"http://{LOOPBACK}:{port}{PREFIX}"
    cert, key = self_signed_certificate(r, r.workdir / "tls")

    # The form cPanel shows: MySQL credentials as separate fields, and no
    # DEPLOYMENT_TARGET, which passenger_wsgi.py and setup_site.py default to cpanel.
    env_file = write_env_file(
        r.workdir / "site.env",
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DB_TYPE": "mysql",
            "DB_NAME": db,
            "DB_USER": user,
            "DB_PASSWORD": "",
            "DB_HOST": LOOPBACK,
            "DB_PORT": "3306",
            "APPLICATION_ROOT": PREFIX,
            "SECURE_SSL_REDIRECT": "false",
            "INSTANCE_DIR": str(r.workdir / "instance"),
            "STATIC_ROOT": str(r.workdir / "staticfiles"),
            # Where Apache serves the app from: setup_site.py links media/ there.
            "CPANEL_PUBLIC_DIR": str(public),
            # Low, so the scan's look-alike check reaches the limit in a few attempts.
            "LOGIN_RATE_PER_ACCOUNT": "3/15m",
        },
    )
    env = clean_environment(FILAMENTA_ENV_FILE=str(env_file))
    manage_env = {**env, "DEPLOYMENT_TARGET": "cpanel"}

    setup = r.run("setup_site", [PYTHON, "deploy/cpanel/setup_site.py"], env=env, timeout=240)
    r.require(
        "deploy/cpanel/setup_site.py migrates, collects static files and checks",
        setup.returncode == 0 and "Done." in setup.stdout,
        (setup.stdout + setup.stderr)[-1500:],
    )
    admin = create_admin(r, manage_env)
    seeded = r.manage("seed_demo", "seed_demo", "--users", "3", "--articles", "5", env=manage_env)
    r.check("seed_demo fills the site", seeded.returncode == 0, seeded.stderr[-800:])

    running_as_root = os.geteuid() == 0
    me = pwd.getpwuid(os.geteuid()).pw_name
    conf = root / "httpd.conf"
    conf.write_text(
        HTTPD_CONF.format(
            root=root,
            host=LOOPBACK,
            port=port,
            tls_port=tls_port,
            redirect_port=redirect_port,
            cert=cert,
            key=key,
            modules=MODULES,
            prefix=PREFIX,
            public=public,
            app_root=PROJECT_ROOT,
            python=PYTHON,
            env_file=env_file,
            # As root, Apache's workers need an account to become; Passenger
            # would run the app as "nobody", who cannot read a virtualenv
            # under /root, so it keeps the account that owns the checkout.
            user_lines="User daemon\nGroup daemon" if running_as_root else "",
            passenger_user_lines=(
                f"PassengerUserSwitching off\nPassengerDefaultUser {me}\nPassengerDefaultGroup {me}"
                if running_as_root
                else ""
            ),
        )
    )
    syntax = r.run("apache-configtest", ["apache2", "-f", str(conf), "-t"], env=env)
    r.require("Apache accepts the configuration", syntax.returncode == 0, syntax.stderr[-800:])

    seen_pids: set[str] = set()

    def stop_leftover_apps() -> None:
        # Apache stops Passenger, which stops the app; anything still there is ours.
        time.sleep(1)
        for pid in seen_pids:
            try:
                os.kill(int(pid), 9)
                print(f"  stopped a leftover application process {pid}")
            except (ProcessLookupError, ValueError):
                pass

    r.defer("application processes", stop_leftover_apps)
    apache = r.start("apache", ["apache2", "-f", str(conf), "-DFOREGROUND"], env=env)
    r.require(
        f"Apache + Passenger listen on {LOOPBACK}:{port}",
        wait_for_port(port, timeout=30, process=apache),
        r.log_tail("apache") + "\n" + (root / "error.log").read_text()[-800:]
        if (root / "error.log").exists()
        else "",
    )

    registry = root / "registry"
    deadline = time.monotonic() + 90
    processes: dict[str, int] = {}
    while time.monotonic() < deadline:
        # PassengerPreStart fires shortly after start-up; a request spawns at once.
        Browser(base, host="localhost").get("/healthz", timeout=60)
        processes = passenger_processes(registry)
        seen_pids.update(processes)
        if len(processes) >= 2:
            break
        time.sleep(1)
    passenger_log = root / "passenger.log"
    r.require(
        "Passenger runs two application processes",
        len(processes) == 2,
        f"saw {processes}; passenger.log:\n"
        + (passenger_log.read_text()[-1500:] if passenger_log.exists() else ""),
    )

    anonymous = Browser(base, host="localhost")
    home = anonymous.get("/")
    r.check(f"home page answers at {PREFIX}/", home.status == 200, f"status {home.status}")

    redirect = anonymous.get("/admin/")
    r.check(
        "redirects carry the prefix",
        redirect.status == 302 and redirect.header("Location").startswith(f"{PREFIX}/admin/login/"),
        f"{redirect.status} Location={redirect.header('Location')!r}",
    )
    login_page = anonymous.get("/admin/login/")
    stylesheets = [
        part.split('"', 1)[0] for part in login_page.text.split('rel="stylesheet" href="')[1:]
    ]
    r.check(
        "asset URLs in pages carry the prefix",
        bool(stylesheets) and all(s.startswith(f"{PREFIX}/static/") for s in stylesheets),
        f"stylesheets: {stylesheets}",
    )
    if stylesheets:
        css = anonymous.get(f"http://{LOOPBACK}:{port}{stylesheets[0]}")
        r.check(
            "static files answer under the prefix (whitenoise)",
            css.status == 200 and css.header("Content-Type").startswith("text/css"),
            f"{stylesheets[0]} -> {css.status} {css.header('Content-Type')}",
        )
    csrf_cookie = next((c for c in anonymous.set_cookie_lines if c.startswith("csrftoken=")), "")
    r.check(
        "cookies are scoped to the prefix and Secure",
        f"Path={PREFIX}/" in csrf_cookie and "Secure" in csrf_cookie,
        csrf_cookie or "no csrftoken cookie",
    )

    # An admin login made on one process holds on the other.
    staff = Browser(base, host="localhost")
    signed_in = admin_login(staff, admin, PREFIX)
    r.check(
        "the admin login succeeds",
        signed_in.status == 302 and signed_in.header("Location") == f"{PREFIX}/admin/",
        f"{signed_in.status} Location={signed_in.header('Location')!r}",
    )
    client_address_under_passenger(r, base, admin, manage_env)
    media_from_apache(r, staff, registry, manage_env, seen_pids)
    static_pages_from_apache(
        r, base, staff, registry, manage_env, seen_pids, public, ceiling=root / "ceiling"
    )
    session_cookie = next((c for c in staff.set_cookie_lines if c.startswith("sessionid=")), "")
    r.check(
        "the session cookie is scoped to the prefix",
        f"Path={PREFIX}/" in session_cookie,
        session_cookie or "no sessionid cookie",
    )
    both_served = False
    all_signed_in = True
    for burst in (8, 16, 24):
        before = passenger_processes(registry)
        with ThreadPoolExecutor(max_workers=burst) as pool:
            pages = list(pool.map(lambda _: staff.get("/admin/"), range(burst)))
        served = delta(before, passenger_processes(registry))
        seen_pids.update(served)
        all_signed_in = all(is_admin_page(p) for p in pages)
        both_served = len([n for n in served.values() if n > 0]) == 2
        if both_served or not all_signed_in:
            break
    r.check(
        f"the admin login holds on both processes ({sorted(served.values())} requests each)",
        both_served and all_signed_in,
        f"requests per process {served}; all signed in: {all_signed_in}",
    )

    # A rate limit counts across processes.
    limit = login_rate_per_account(r, manage_env)
    rate_limit_across_processes(r, base, registry, limit, seen_pids)

    security_scan.scan(
        r,
        security_scan.ScannedSite(
            env=manage_env,
            instance_dir=r.workdir / "instance",
            http_url=f"http://localhost:{redirect_port}{PREFIX}",
            https_url=f"https://localhost:{tls_port}{PREFIX}",
            connect=security_scan.by_scheme(
                (redirect_port, {}), (tls_port, {}, ssl.create_default_context(cafile=str(cert)))
            ),
            app=lambda: Browser(base, host="localhost"),
            reads_forwarded_for=False,  # settings.cpanel: REMOTE_ADDR is Apache's peer
        ),
    )

    # Nothing probed Redis: none is configured, and the site says so.
    report = backends_report(r, manage_env)
    redis = report.get("redis", {})
    r.check(
        "no Redis configured (manage.py backends --json)",
        redis.get("configured") is False and redis.get("state") == "not configured",
        f"redis: {redis}",
    )
    health = anonymous.get("/healthz")
    try:
        seen = json.loads(health.text)
    except ValueError:
        seen = {"unparsed": health.text[:200]}
    r.check(
        f"/healthz under Passenger: the file tier, no Redis (tier {seen.get('tier')!r})",
        health.status == 200
        and seen.get("status") == "ok"
        and seen.get("tier") == "file"
        and "redis" not in str(seen.get("cache_backend", "redis")).lower(),
        f"{health.status} {seen}",
    )

    errors = (
        [
            line
            for line in (root / "error.log").read_text().splitlines()
            if "[error]" in line.lower()
        ]
        if (root / "error.log").exists()
        else []
    )
    r.check("Apache logged no errors", not errors, "\n".join(errors[-5:]))


WRITE_COPY = (
    "from pathlib import Path; from django.http import HttpResponse; "
    "from django.test import RequestFactory; from django.utils import translation; "
    "from filamenta.static_pages import static_page_write; "
    "translation.activate('en'); "
    "static_page_write(request=RequestFactory().get({path!r}), "
    "response=HttpResponse(Path({body!r}).read_bytes()), still_current=lambda: True)"
)
LATEST_ARTICLE = (
    "import json; from apps.content.models import Article; "
    "a = Article.objects.published().filter(kind='article').order_by('-pk').first(); "
    "print(json.dumps([a.pk, a.slug, a.title]))"
)


def static_pages_from_apache(
    r: Rehearsal,
    base: str,
    staff: Browser,
    registry: Path,
    env: dict[str, str],
    seen_pids: set[str],
    public: Path,
    *,
    ceiling: Path,
) -> None:
    """Anonymous readers get a published article from Apache's copy; everyone else from Django.

    Passenger's processes count every request they serve (passenger-status):
    the count does not move while Apache answers from public/_pages, and the
    copy carries ``X-Static-Page: 1`` (the _pages .htaccess) and no
    ``X-Page-Cache`` (only Django sends that).
    """
    found = r.manage("latest-article", "shell", "-c", LATEST_ARTICLE, env=env)
    if not r.check("a published article to read", found.returncode == 0, found.stderr[-500:]):
        return
    pk, slug, title = json.loads(found.stdout.strip().splitlines()[-1])
    path = f"/articles/{slug}/"
    copy = public / "_pages" / "en" / "articles" / slug / "index.html"
    reader = Browser(base, host="localhost", always={"Accept-Language": "en-GB,en"})

    def counted(browser: Browser, target: str, **kwargs: object) -> tuple[object, int]:
        before = passenger_processes(registry)
        answer = browser.get(target, **kwargs)
        served = delta(before, passenger_processes(registry))
        seen_pids.update(served)
        return answer, sum(served.values())

    first, django_served = counted(reader, path)
    r.check(
        "the first anonymous read of an article is Django's, and leaves a copy in public/_pages",
        first.status == 200 and django_served >= 1 and copy.is_file(),
        f"{first.status} X-Page-Cache={first.header('X-Page-Cache')!r} served {django_served}; "
        f"{copy} exists: {copy.exists()}",
    )
    if not copy.is_file():
        # Django did not write it (the check above failed): write Django's answer
        # through the same module, so the Apache side is still rehearsed.
        body = public.parent / "first-read.html"
        body.write_bytes(first.body)
        script = WRITE_COPY.format(path=path, body=str(body))
        wrote = r.manage("write-copy", "shell", "-c", script, env=env)
        r.check(
            "(fallback) the copy is written by static_page_write",
            copy.is_file(),
            wrote.stderr[-500:],
        )
    mode = oct(copy.stat().st_mode & 0o777) if copy.exists() else "none"
    r.check(f"the copy is readable by Apache ({mode})", mode == "0o644", mode)
    second, served = counted(reader, path)
    r.check(
        "the second anonymous read is Apache's copy: Passenger saw no request",
        second.status == 200
        and second.header("X-Static-Page") == "1"
        and not second.header("X-Page-Cache")
        and served == 0
        and title in second.text,
        f"{second.status} X-Static-Page={second.header('X-Static-Page')!r} "
        f"X-Page-Cache={second.header('X-Page-Cache')!r} Passenger served {served}",
    )
    same = (
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
    )

    def directives(value: str) -> object:
        # django-csp's directive order differs from process to process; the policy does not.
        return sorted(d.strip() for d in value.split(";")) if ";" in value else value

    differ = {
        h: (first.header(h), second.header(h))
        for h in same
        if directives(first.header(h)) != directives(second.header(h))
    }
    r.check(
        "Apache's copy carries Django's security headers, Content-Language, Vary and max-age=0",
        not differ
        and second.header("Content-Language") == "en"
        and "Accept-Language" in second.header("Vary")
        and "Cookie" in second.header("Vary")
        and second.header("Cache-Control") == "max-age=0"
        and second.header("Content-Type").startswith("text/html"),
        f"differ {differ}; {second.headers}",
    )
    direct, _ = counted(reader, f"/_pages/en/articles/{slug}/index.html")
    r.check("the copies have no URL of their own (404)", direct.status == 404, f"{direct.status}")
    query, served = counted(reader, path + "?utm=1")
    r.check(
        "a read with a query string reaches Django",
        query.status == 200 and not query.header("X-Static-Page") and served >= 1,
        f"{query.status} X-Static-Page={query.header('X-Static-Page')!r} served {served}",
    )
    signed_in, served = counted(staff, path)
    r.check(
        "a reader with a session cookie reaches Django",
        signed_in.status == 200 and not signed_in.header("X-Static-Page") and served >= 1,
        f"{signed_in.status} X-Static-Page={signed_in.header('X-Static-Page')!r} served {served}",
    )
    french = Browser(base, host="localhost", always={"Accept-Language": "fr-FR,fr;q=0.9"})
    fr_answer, served = counted(french, path)
    r.check(
        "a French Accept-Language is not served the English copy",
        fr_answer.status == 200
        and not (fr_answer.header("X-Static-Page") and fr_answer.header("Content-Language") == "en")
        and (served >= 1 or fr_answer.header("Content-Language") == "fr"),
        f"{fr_answer.status} X-Static-Page={fr_answer.header('X-Static-Page')!r} "
        f"Content-Language={fr_answer.header('Content-Language')!r} served {served}",
    )
    weighted = Browser(base, host="localhost", always={"Accept-Language": "en;q=0.8, fr"})
    w_answer, served = counted(weighted, path)
    r.check(
        "an Accept-Language with weights reaches Django",
        w_answer.status == 200 and not w_answer.header("X-Static-Page") and served >= 1,
        f"{w_answer.status} X-Static-Page={w_answer.header('X-Static-Page')!r} served {served}",
    )
    load_figures(r, base, path, registry, seen_pids, copy=copy, ceiling=ceiling)
    new_title = f"Edited under Apache {secrets.token_hex(3)}"
    saved = staff.submit(f"/admin/content/article/{pk}/change/", {"title": new_title})
    published = time.monotonic()
    r.check(
        "an article is edited through the admin",
        saved.status == 302,
        f"{saved.status} {saved.text[:400]}",
    )
    r.check("the edit removed the copy", not copy.exists(), f"{copy} still there")
    after, served = counted(reader, path)
    # Publish-to-visible: until an anonymous read shows the new title (3 s at most).
    seen = after
    while new_title not in seen.text and time.monotonic() - published < 3:
        seen = reader.get(path)
    if new_title in seen.text:
        FIGURES["publish_to_visible_s"] = round(time.monotonic() - published, 3)
    r.check(
        "the next anonymous read reaches Django and shows the new title",
        after.status == 200
        and not after.header("X-Static-Page")
        and served >= 1
        and new_title in after.text,
        f"{after.status} X-Static-Page={after.header('X-Static-Page')!r} served {served}",
    )
    again, served = counted(reader, path)
    r.check(
        "then Apache answers the new title from a new copy",
        again.header("X-Static-Page") == "1" and served == 0 and new_title in again.text,
        f"{again.status} X-Static-Page={again.header('X-Static-Page')!r} served {served}",
    )
    if FIGURES:
        from bench.targets import cpanel_verdicts

        print(f"  figures (cPanel stack, wrk 8 connections): {json.dumps(FIGURES)}")
        for verdict in cpanel_verdicts({"cpanel": FIGURES}):
            print(f"  target: {verdict.target}: {verdict.measured} — {verdict.label}")


# What load_figures and the publish timing measured (printed at the end of the section).
FIGURES: dict[str, object] = {}


def load_figures(
    r: Rehearsal,
    base: str,
    path: str,
    registry: Path,
    seen_pids: set[str],
    *,
    copy: Path,
    ceiling: Path,
) -> None:
    """wrk, 8 connections, 5 s each: Apache's copy, Passenger's @cached_page hit, a small
    view, and the copy's bytes as a plain file.

    The hit is the same article with a query string (Django's page cache keys
    only the parameters a view reads, so it is a hit, and Apache passes it on);
    the small view is robots.txt, the cheapest Django answer this stack serves
    without bench/urls.py. The plain file (``/apache-ceiling``, no .htaccess, no
    Passenger) is the fastest any copy could be served by this Apache: it shows
    how much of the gap to it the public folder's rules cost. Only with
    REHEARSE_LOAD=1 (it costs 20 s).
    """
    if not os.environ.get("REHEARSE_LOAD") or not shutil.which("wrk"):
        return
    from bench.throughput import run_wrk

    ceiling.mkdir(exist_ok=True)
    ceiling.chmod(0o755)
    (ceiling / "page.html").write_bytes(copy.read_bytes())
    (ceiling / "page.html").chmod(0o644)
    origin, prefix = base.split(PREFIX, 1)[0], PREFIX
    for label, target in (
        ("static page", prefix + path),
        ("passenger hit", prefix + path + "?from=wrk"),
        ("minimal view", prefix + "/robots.txt"),
        ("plain file", "/apache-ceiling/page.html"),
    ):
        try:
            result = run_wrk(base_url=origin, paths=[target], seconds=5, connections=8).as_dict()
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
    seen_pids.update(passenger_processes(registry))


SIGN_IN_IP = (
    "from apps.siteadmin.models import AuditEntry as A; "
    "print(A.objects.filter(action=A.Action.LOGIN).latest('pk').ip)"
)


def client_address_under_passenger(
    r: Rehearsal, base: str, admin: Admin, manage_env: dict[str, str]
) -> None:
    """Per-IP limits and the history see Apache's peer: REMOTE_ADDR, never a client's header.

    settings.cpanel reads no X-Forwarded-For (Apache is the only server in
    front, and it passes its peer as REMOTE_ADDR), so a made-up one changes
    nothing.
    """
    spoofing = Browser(base, host="localhost", always={"X-Forwarded-For": "198.51.100.77"})
    admin_login(spoofing, admin, PREFIX)
    shown = r.manage("sign-in-ip", "shell", "-c", SIGN_IN_IP, env=manage_env)
    ip = shown.stdout.strip().splitlines()[-1] if shown.stdout.strip() else shown.stderr[-300:]
    r.check(
        f"under Passenger the client is Apache's peer, not X-Forwarded-For (history: {ip})",
        ip == LOOPBACK,
        ip,
    )


def rate_limit_across_processes(
    r: Rehearsal, base: str, registry: Path, limit: int, seen_pids: set[str]
) -> None:
    """Wrong passwords for one account, two at a time, until the site says 429.

    Each Passenger process takes one request at a time, so each concurrent
    pair lands on both. If each process counted alone, neither would refuse
    before it had seen ``limit`` attempts itself.
    """
    attacker = Browser(base, host="localhost")
    username = f"victim-{secrets.token_hex(3)}"
    first = bad_login(attacker, username, PREFIX)  # also fetches the CSRF token
    token = attacker.cookies.get("csrftoken", "")
    referer = attacker.page_url("/accounts/login/")
    attempts, refused = 1, first.status == 429
    before = passenger_processes(registry)
    while not refused and attempts < 3 * limit:
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(
                pool.map(
                    lambda _: attacker.post(
                        "/accounts/login/",
                        {"csrfmiddlewaretoken": token, "username": username, "password": "nope"},
                        headers={"Referer": referer},
                    ),
                    range(2),
                )
            )
        attempts += 2
        # The form again with its error is a 400 (apps.users.views.InvalidFormIs400).
        unexpected = [a.status for a in answers if a.status not in (200, 400, 429)]
        if unexpected:
            r.check("wrong passwords get the form again or a 429", False, f"statuses {unexpected}")
            return
        refused = any(a.status == 429 for a in answers)
    per_process = delta(before, passenger_processes(registry))
    seen_pids.update(per_process)
    r.check(
        f"the sign-in rate limit ({limit} per account) counts across processes: 429 after "
        f"{attempts} attempts, {sorted(per_process.values())} per process",
        refused and max(per_process.values(), default=0) <= limit and len(per_process) == 2,
        f"429 after {attempts} attempts (limit {limit}); attempts per process {per_process}",
    )


def media_from_apache(
    r: Rehearsal, staff: Browser, registry: Path, env: dict[str, str], seen_pids: set[str]
) -> None:
    """An image uploaded through the admin under Passenger is served by Apache, not Passenger.

    Passenger's processes count every request they serve: the count does not
    move while Apache answers the media (through public/media, setup_site.py's link).
    """
    found = upload_image(r, staff, env, "Uploaded under Passenger")
    if not found:
        return
    _pk, _name, url, _rendition_name, rendition_url = found
    r.check(f"the image's URL carries the prefix ({url})", url.startswith(f"{PREFIX}/media/"))
    before = passenger_processes(registry)
    image = staff.get(url.removeprefix(PREFIX))
    served = delta(before, passenger_processes(registry))
    seen_pids.update(served)
    r.check(
        "Apache serves the uploaded image (Passenger's processes saw no request)",
        image.status == 200
        and image.header("Content-Type") == "image/jpeg"
        and image.body[:3] == b"\xff\xd8\xff"
        and not any(served.values()),
        f"{image.status} {image.header('Content-Type')} requests per process {served}",
    )
    before = passenger_processes(registry)
    rendition = staff.get((rendition_url or "").removeprefix(PREFIX))
    served = delta(before, passenger_processes(registry))
    seen_pids.update(served)
    r.check(
        "Apache serves the upload's 480 px WebP rendition too (Passenger saw no request)",
        bool(rendition_url)
        and rendition.status == 200
        and rendition.header("Content-Type") == "image/webp"
        and rendition.body[8:12] == b"WEBP"
        and not any(served.values()),
        f"{rendition_url}: {rendition.status} {rendition.header('Content-Type')} {served}",
    )
    r.check(
        "the media .htaccess adds nosniff and a sandboxing CSP (mod_headers)",
        image.header("X-Content-Type-Options") == "nosniff"
        and "sandbox" in image.header("Content-Security-Policy"),
        f"{image.headers}",
    )
