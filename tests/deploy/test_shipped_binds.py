"""The shipped configs put gunicorn where only the proxy can reach it: loopback or a socket.

X-Forwarded-For is believed only from TRUSTED_PROXIES (loopback by default);
that is safe only while nothing but nginx can connect to gunicorn.
"""

import json
import re

import pytest

from devtools.local_servers import PROJECT_ROOT, run_python

DEPLOY = PROJECT_ROOT / "deploy"
SHOW_GUNICORN = (
    "import json, runpy; c = runpy.run_path('deploy/vps/gunicorn.conf.py'); "
    "print(json.dumps([c['bind'], c['forwarded_allow_ips']]))"
)


def gunicorn_settings(env: dict[str, str]) -> tuple[list[str], str]:
    result = run_python("-c", SHOW_GUNICORN, env=env)
    assert result.returncode == 0, result.stderr
    bind, allowed = json.loads(result.stdout.strip().splitlines()[-1])
    return bind, allowed


def is_private_bind(bind: str) -> bool:
    return bind.startswith("unix:") or re.match(r"^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):", bind)


def test_gunicorn_binds_to_loopback_and_believes_loopback(clean_env):
    bind, allowed = gunicorn_settings(clean_env)

    assert bind == ["127.0.0.1:8000"]
    assert allowed == "127.0.0.0/8,::1/128"


def test_gunicorn_and_django_trust_the_same_configured_proxies(clean_env):
    _, allowed = gunicorn_settings({**clean_env, "TRUSTED_PROXIES": "10.0.0.0/24"})

    assert allowed == "10.0.0.0/24"


def test_gunicorn_stops_on_bad_trusted_proxies_naming_the_variable(clean_env):
    result = run_python("-c", SHOW_GUNICORN, env={**clean_env, "TRUSTED_PROXIES": "nginx"})

    assert result.returncode != 0
    assert "TRUSTED_PROXIES='nginx'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_systemd_unit_leaves_the_loopback_bind_alone():
    unit = (DEPLOY / "vps" / "filamenta.service").read_text()
    binds = re.findall(r"GUNICORN_BIND=(\S+)", unit)

    assert all(is_private_bind(b) for b in binds), binds
    assert "--bind" not in unit
    assert " -b " not in unit


def test_compose_keeps_gunicorn_on_the_web_services_loopback():
    compose = (DEPLOY / "docker" / "docker-compose.yml").read_text()
    nginx = (DEPLOY / "docker" / "nginx.conf").read_text()
    nginx_service = compose.split("\n  nginx:\n", 1)[1]

    # nginx in web's network namespace: web's loopback is nginx's.
    assert re.search(r'^\s+network_mode: "?service:web"?$', nginx_service, re.MULTILINE)
    assert not re.search(r"^\s+(GUNICORN_BIND|FORWARDED_ALLOW_IPS):", compose, re.MULTILINE)
    assert re.findall(r"^\s*server (\S+);", nginx, re.MULTILINE) == ["127.0.0.1:8000"]


@pytest.mark.parametrize("conf", ["vps/nginx.conf", "docker/nginx.conf"])
def test_nginx_replaces_any_forwarded_for_the_client_sent_with_its_own_hop(conf):
    text = (DEPLOY / conf).read_text()

    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
