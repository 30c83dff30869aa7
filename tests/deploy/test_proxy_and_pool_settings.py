"""Proxy depth and the PostgreSQL pool: read from the environment, refused when wrong."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from filamenta.pooling import database_pool
from filamenta.proxies import trusted_proxy_depth


def test_proxy_depth_defaults_to_one_nginx(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXY_DEPTH", raising=False)
    assert trusted_proxy_depth() == 1


@pytest.mark.parametrize("raw", ["0", "two", "-1", "9"])
def test_bad_proxy_depth_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("TRUSTED_PROXY_DEPTH", raw)
    with pytest.raises(ImproperlyConfigured, match=f"TRUSTED_PROXY_DEPTH='{raw}'"):
        trusted_proxy_depth()


def test_pool_sizes_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DB_POOL_MIN_SIZE", "2")
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "8")
    monkeypatch.delenv("DB_POOL_TIMEOUT", raising=False)
    assert database_pool() == {"min_size": 2, "max_size": 8, "timeout": 5}


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DB_POOL_MAX_SIZE": "lots"}, "DB_POOL_MAX_SIZE='lots'"),
        ({"DB_POOL_MIN_SIZE": "0"}, "DB_POOL_MIN_SIZE='0'"),
        ({"DB_POOL_MIN_SIZE": "5", "DB_POOL_MAX_SIZE": "2"}, "DB_POOL_MIN_SIZE=5 is larger"),
    ],
)
def test_bad_pool_values_name_the_variable(monkeypatch, variables, expected):
    for name in ("DB_POOL_MIN_SIZE", "DB_POOL_MAX_SIZE", "DB_POOL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=expected):
        database_pool()


SHOW = (
    "import json; from django.conf import settings as s; d = s.DATABASES['default']; "
    "print(json.dumps([s.MIDDLEWARE[0], s.XFF_TRUSTED_PROXY_DEPTH, s.TRUSTED_PROXIES, "
    "d['OPTIONS'].get('pool'), d['CONN_MAX_AGE']]))"
)


@pytest.mark.parametrize("target", ["vps", "docker", "production"])
def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(clean_env, target):
    import json
    import secrets

    from tests.conftest import run_manage
    from tests.services import FLEET_MEDIA, require_service

    if target == "production":
        require_service("Redis", "127.0.0.1", 6379)

    env = {
        **clean_env,
        "DEPLOYMENT_TARGET": target,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgres://app@127.0.0.1:5432/site",
        # Production refuses to start without a Redis that answers: the shared one
        # (the probe only pings it); elsewhere a closed port, given up at once.
        "REDIS_URL": "redis://127.0.0.1:6379/15"
        if target == "production"
        else "redis://127.0.0.1:1/0",
        "TRUSTED_PROXY_DEPTH": "2",
        **FLEET_MEDIA,
    }
    result = run_manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    first, depth, proxies, pool, max_age = json.loads(result.stdout.strip().splitlines()[-1])
    assert first == "filamenta.proxies.TrustedProxyMiddleware"
    # Believed only from nginx on this machine unless TRUSTED_PROXIES says otherwise.
    assert proxies == ["127.0.0.0/8", "::1/128"]
    # Only a fleet has a balancer in front of nginx; a VPS or compose has nginx alone.
    assert depth == (2 if target == "production" else 1)
    if target == "production":
        assert pool == {"min_size": 1, "max_size": 4, "timeout": 5}
        assert max_age == 0  # Django refuses a pool beside persistent connections
    else:
        assert pool is None
