"""The static-page rules setup_site.py writes, under a real Apache (mod_rewrite, mod_headers).

No Passenger here: what the rules do not answer falls through to Apache's own
404, which stands for "Passenger (Django) answers". The copies are written by
filamenta.static_pages itself, under the site's umask, so the test also shows
Apache (another user when run as root) can read them.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from deploy.cpanel.setup_site import pages_folder_htaccess, static_pages_htaccess
from devtools.local_servers import LOOPBACK, free_port, stop_group, wait_for_port
from filamenta import static_pages

MODULES = Path("/usr/lib/apache2/modules")
NEEDED = ("mod_mpm_event.so", "mod_authz_core.so", "mod_alias.so", "mod_mime.so",
          "mod_headers.so", "mod_rewrite.so")  # fmt: skip
PREFIX = "/filamenta"
LOG: list[Path] = []
CSP = "default-src 'none'; script-src 'self'"

pytestmark = pytest.mark.skipif(
    not shutil.which("apache2") or not all((MODULES / m).exists() for m in NEEDED),
    reason="needs Debian's apache2 (apt-get install apache2)",
)

CONF = """\
ServerRoot {root}
ServerName {host}
Listen {host}:{port}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
LogLevel warn rewrite:warn
{user}
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule headers_module {modules}/mod_headers.so
LoadModule rewrite_module {modules}/mod_rewrite.so
TypesConfig /etc/mime.types
Alias {prefix} {public}
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {public}>
    Options -MultiViews
    AllowOverride FileInfo Indexes Options=Indexes
    Require all granted
</Directory>
"""


@pytest.fixture(scope="module")
def apache():
    work = Path(tempfile.mkdtemp(prefix="filamenta-static-apache-"))
    work.chmod(0o755)  # Apache's workers (another account under root) enter it
    public = work / "public"
    public.mkdir()
    public.chmod(0o755)
    pages = public / "_pages"
    pages.mkdir()
    pages.chmod(0o711)
    (public / ".htaccess").write_text(
        static_pages_htaccess(
            base=PREFIX,
            pages="_pages",
            public=str(public),
            language_code="en-us",
            session_cookie="__Host-sessionid",
        )
    )
    headers = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
               "Strict-Transport-Security": "max-age=31536000"}  # fmt: skip
    (pages / ".htaccess").write_text(pages_folder_htaccess(headers))
    for f in (public / ".htaccess", pages / ".htaccess"):
        f.chmod(0o644)
    port = free_port()
    user = "User daemon\nGroup daemon" if os.geteuid() == 0 else ""
    conf = work / "httpd.conf"
    conf.write_text(
        CONF.format(
            root=work,
            host=LOOPBACK,
            port=port,
            user=user,
            modules=MODULES,
            prefix=PREFIX,
            public=public,
        )
    )
    process = subprocess.Popen(
        ["apache2", "-f", str(conf), "-DFOREGROUND"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for_port(port, timeout=20, process=process), (work / "error.log").read_text()
        LOG[:] = [work / "error.log"]
        yield port, pages, work
    finally:
        stop_group(process)
        shutil.rmtree(work, ignore_errors=True)


def get(port: int, path: str, method: str = "GET", **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    connection.request(method, PREFIX + path, headers={"Host": "localhost", **headers})
    answer = connection.getresponse()
    answer.body = answer.read()
    connection.close()
    return answer


@pytest.fixture
def written(apache, settings):
    """Write /articles/x/ in English and /articles/y/ in French, as the site would."""
    port, pages, _work = apache
    settings.STATIC_PAGES_DIR = str(pages)
    settings.STATIC_PAGES_MAX = 100
    static_pages._count = None
    old = os.umask(0o077)
    try:
        for language, path, body in (("en", "/articles/x/", "<p>x en</p>"),
                                     ("en", "/", "<p>home</p>"),
                                     ("fr", "/articles/y/", "<p>y fr</p>")):  # fmt: skip
            with translation.override(language):
                static_pages.static_page_write(
                    request=RequestFactory().get(path),
                    response=HttpResponse(body),
                    still_current=lambda: True,
                )
    finally:
        os.umask(old)
    yield port
    static_pages.static_pages_purge()


def test_an_anonymous_read_gets_the_copy_with_the_pages_headers(written):
    answer = get(written, "/articles/x/")
    assert answer.status == 200
    assert answer.body == b"<p>x en</p>"
    assert answer.getheader("X-Static-Page") == "1"
    assert answer.getheader("Content-Type") == "text/html; charset=utf-8"
    assert answer.getheader("Content-Language") == "en"
    assert answer.getheader("Vary").replace(" ", "") == "Accept-Language,Cookie"
    assert answer.getheader("Cache-Control") == "max-age=0"
    assert answer.getheader("Content-Security-Policy") == CSP
    assert answer.getheader("X-Frame-Options") == "DENY"
    assert answer.getheader("Strict-Transport-Security") is None  # plain HTTP
    assert get(written, "/").body == b"<p>home</p>"
    assert get(written, "/articles/x/", method="HEAD").status == 200


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/articles/x/?page=2", "GET", {}),
        ("/articles/x/", "POST", {}),
        ("/articles/x/", "GET", {"Cookie": "sessionid=abc"}),
        ("/articles/x/", "GET", {"Cookie": "a=1; __Host-sessionid=abc"}),
        ("/articles/x/", "GET", {"Cookie": "messages=abc"}),
        ("/articles/x/", "GET", {"Cookie": "django_language=fr"}),
        ("/articles/x/", "GET", {"Cookie": "django_language=fr-ca"}),
        # A language cookie the copies are not in decides, whatever Accept-Language says.
        ("/articles/x/", "GET", {"Cookie": "django_language=de", "Accept-Language": "en"}),
        ("/articles/x/", "GET", {"Cookie": "django_language=; a=1"}),
        ("/articles/x/", "GET", {"Cookie": "django_language=en; sessionid=abc"}),
        ("/articles/x/", "GET", {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}),
        ("/articles/x/", "GET", {"Accept-Language": "en;q=0.8, fr"}),
        ("/articles/x/", "GET", {"Accept-Language": "de, en"}),
        ("/articles/x/", "GET", {"Accept-Language": "EN"}),  # rare: Django's turn
        ("/articles/x", "GET", {}),
        ("/_pages/en/articles/x/index.html", "GET", {}),
        ("/_pages/en/articles/x/", "GET", {}),
    ],
)
def test_everyone_else_goes_on_to_passenger(written, path, method, headers):
    answer = get(written, path, method, **headers)
    assert answer.getheader("X-Static-Page") is None
    assert answer.status in (404, 405), answer.status  # Apache's own: Passenger's turn here


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept-Language": "en-GB,en;q=0.9"},
        {"Cookie": "csrftoken=abc; django_language=en"},
        {"Cookie": "django_language=en", "Accept-Language": "fr"},
    ],
)
def test_english_readers_get_the_english_copy(written, headers):
    answer = get(written, "/articles/x/", **headers)
    assert answer.status == 200, "\n".join(
        line[-160:] for line in LOG[0].read_text().splitlines() if "input=" in line
    )
    assert answer.getheader("X-Static-Page") == "1"


def test_french_readers_get_the_french_copy(written):
    answer = get(written, "/articles/y/", **{"Accept-Language": "fr-CA,fr"})
    assert answer.status == 200
    assert answer.body == b"<p>y fr</p>"
    assert answer.getheader("Content-Language") == "fr"
    # Without an Accept-Language the site's language (en): no copy of y there.
    assert get(written, "/articles/y/").status == 404


def test_a_purge_sends_the_next_reader_to_passenger(written, apache):
    assert get(written, "/articles/x/").status == 200
    static_pages.static_pages_purge()
    assert get(written, "/articles/x/").status == 404
    errors = (apache[2] / "error.log").read_text()
    assert ":error]" not in errors, errors
