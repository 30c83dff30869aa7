"""Finding 11: session and CSRF cookies a script cannot read, and __Host- names at the root.

The prefix needs Secure, Path=/ and no Domain; under APPLICATION_ROOT the
cookies are scoped to the sub-path, so there the names stay plain. That a
browser keeps the __Host- cookies as sent is shown on a real server by
tests/deploy/test_observatory_score.py (its cookie jar drops a cookie that
breaks its prefix, as tough-cookie does).
"""

import json

import pytest

from tests.conftest import run_manage
from tests.settings.test_settings_modules import DEPLOYED, deployed_env

PRINT_COOKIES = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({n: getattr(s, n) for n in "
    "('SESSION_COOKIE_NAME', 'SESSION_COOKIE_PATH', 'SESSION_COOKIE_DOMAIN', "
    "'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_NAME', 'CSRF_COOKIE_PATH', "
    "'CSRF_COOKIE_DOMAIN', 'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY')}))"
)


def cookie_settings(env: dict[str, str]) -> dict:
    result = run_manage("shell", "-c", PRINT_COOKIES, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("target", DEPLOYED)
def test_at_the_root_the_cookies_are_host_prefixed(clean_env, target):
    seen = cookie_settings(deployed_env(clean_env, target))
    assert seen == {
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_PATH": "/",
        "CSRF_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
    }


@pytest.mark.parametrize("target", ["cpanel", "vps"])
def test_under_a_sub_path_the_names_stay_plain(clean_env, target):
    seen = cookie_settings({**deployed_env(clean_env, target), "APPLICATION_ROOT": "/filamenta"})
    assert seen["SESSION_COOKIE_NAME"] == "sessionid"
    assert seen["CSRF_COOKIE_NAME"] == "csrftoken"
    assert seen["SESSION_COOKIE_PATH"] == seen["CSRF_COOKIE_PATH"] == "/filamenta/"
    assert seen["CSRF_COOKIE_HTTPONLY"] is True


def test_development_over_plain_http_keeps_plain_names(clean_env):
    seen = cookie_settings(clean_env)
    assert (seen["SESSION_COOKIE_NAME"], seen["CSRF_COOKIE_NAME"]) == ("sessionid", "csrftoken")
