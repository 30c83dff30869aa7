"""X-Forwarded-For: believed only from the configured proxies, and a 400 when it is not an address.

The review reached gunicorn directly: a made-up X-Forwarded-For passed the
per-IP limit as a new client each time, and ``X-Forwarded-For: garbage`` was a
500 on the sign-in, admin sign-in and password-reset pages. These tests run
the middleware the proxied settings modules (vps, docker, production) put first.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.siteadmin.models import AuditEntry
from filamenta.proxies import XFF_MIDDLEWARE, trusted_proxies

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
# The pages that count per IP: each turned a malformed header into a 500.
RATE_LIMITED = [
    (LOGIN, {"username": "sam", "password": "wrong"}),
    ("/admin/login/", {"username": "sam", "password": "wrong"}),
    ("/accounts/password_reset/", {"email": "sam@example.com"}),
]


@pytest.fixture
def behind_nginx(settings):
    """The middleware as settings.vps has it: one proxy, trusted on loopback."""
    settings.MIDDLEWARE = [XFF_MIDDLEWARE, *settings.MIDDLEWARE]
    settings.XFF_TRUSTED_PROXY_DEPTH = 1
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "::1"]
    return settings


def failed_sign_in_ip(client, **extra) -> str | None:
    client.post(LOGIN, {"username": "sam", "password": "wrong"}, **extra)
    return AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).latest("pk").ip


@pytest.mark.parametrize(("url", "data"), RATE_LIMITED)
@pytest.mark.parametrize("header", ["garbage", "1.2.3", "203.0.113.5, nonsense", " , "])
def test_a_malformed_header_from_the_proxy_is_400_never_500(
    behind_nginx, client, make_user, url, data, header
):
    make_user("sam")
    client.raise_request_exception = False

    response = client.post(url, data, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=header)

    assert response.status_code == 400


def test_the_proxy_names_the_client(behind_nginx, client, make_user):
    make_user("sam")

    assert (
        failed_sign_in_ip(client, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
        == "198.51.100.7"
    )


def test_what_a_client_prepends_is_ignored(behind_nginx, client, make_user):
    make_user("sam")

    assert (
        failed_sign_in_ip(
            client, REMOTE_ADDR="::1", HTTP_X_FORWARDED_FOR="garbage, 10.9.8.7, 198.51.100.7"
        )
        == "198.51.100.7"
    )


def test_a_client_reaching_gunicorn_directly_is_itself(behind_nginx, client, make_user):
    make_user("sam")

    assert (
        failed_sign_in_ip(client, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="198.51.100.7")
        == "203.0.113.50"
    )


def test_a_direct_client_cannot_dodge_the_per_ip_limit(behind_nginx, client):
    behind_nginx.LOGIN_RATE_PER_IP = "3/d"

    statuses = [
        client.post(
            LOGIN,
            {"username": f"someone{n}", "password": "x"},
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(1, 6)
    ]

    assert statuses == [400, 400, 400, 429, 429]


def test_a_direct_client_cannot_claim_https_either(behind_nginx, client):
    behind_nginx.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind_nginx.SECURE_SSL_REDIRECT = True

    direct = client.get(LOGIN, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_PROTO="https")
    proxied = client.get(LOGIN, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")

    assert direct.status_code == 301
    assert proxied.status_code == 200


def test_a_malformed_header_from_a_stranger_is_simply_not_read(behind_nginx, client, make_user):
    make_user("sam")

    assert (
        failed_sign_in_ip(client, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="garbage")
        == "203.0.113.50"
    )


def test_a_unix_socket_peer_is_the_proxy(behind_nginx, client, make_user):
    # gunicorn on a unix socket gives REMOTE_ADDR "": only local processes that
    # may open the socket file reach it, i.e. nginx.
    make_user("sam")

    assert (
        failed_sign_in_ip(client, REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="198.51.100.7")
        == "198.51.100.7"
    )


def test_a_unix_socket_peer_without_the_header_is_400(behind_nginx, client):
    client.raise_request_exception = False

    assert client.post(LOGIN, {"username": "x", "password": "y"}, REMOTE_ADDR="").status_code == 400


def test_trusted_proxies_default_to_loopback(monkeypatch):
    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)

    assert trusted_proxies() == ["127.0.0.0/8", "::1/128"]


def test_trusted_proxies_take_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/24, 192.0.2.7,2001:db8::/32")

    assert trusted_proxies() == ["10.0.0.0/24", "192.0.2.7/32", "2001:db8::/32"]


@pytest.mark.parametrize("raw", ["garbage", "10.0.0.0/33", "127.0.0.1,,", "*"])
def test_bad_trusted_proxies_stop_start_up_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("TRUSTED_PROXIES", raw)

    with pytest.raises(ImproperlyConfigured, match=r"TRUSTED_PROXIES=.*addresses or networks"):
        trusted_proxies()
