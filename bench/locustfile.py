"""Locust scenarios: anonymous readers, an editor in the admin, a brute-force login.

``make bench`` runs them headless against gunicorn for each tier. By hand, against
a running site with an editor account:

    BENCH_EDITOR_USERNAME=... BENCH_EDITOR_PASSWORD=... .venv/bin/locust \
        -f bench/locustfile.py --headless -u 20 -r 5 -t 60s --host http://127.0.0.1:8000

With ``--until-each-ran`` the run stops as soon as every scenario has done what
it is for once (the editor signed in, a wrong password was answered, a page was
read), and ``--run-time`` is only its time-out: the tiny profile of the test
suite needs each scenario to run whatever the machine's speed, not a length of
load (on a busy machine the editor's sign-in alone takes over a second).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, constant, events, task
from locust.env import Environment
from locust.stats import CSV_STATS_INTERVAL_SEC

# Locust puts only this file's folder on sys.path; the helpers live in the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import admin_links, article_paths_from_sitemap, csrf_token

LOGIN_PATH = "/accounts/login/"
ADMIN_LOGIN_PATH = "/admin/login/"
# Answers a brute-forcer should get: the form again (400: sent with errors), or,
# once the limit bites, 429 (403 if the limit is enforced by django-ratelimit's default).
LOGIN_REFUSALS = {200, 400, 403, 429}
RATE_LIMITED = {403, 429}
# The brute-forcer claims another address (a documentation one, RFC 5737) in the
# header the VPS settings trust from nginx: limited per IP, it must not lock the
# editor, who signs in from 127.0.0.1, out of the admin. Only a header: every
# request still goes to loopback.
BRUTE_FORCER_ADDRESS = "203.0.113.7"

_article_paths: list[str] = []
# The scenarios (user class names) that have done what they are for at least once.
_ran: set[str] = set()


@events.init_command_line_parser.add_listener
def _add_options(parser: Any) -> None:
    parser.add_argument(
        "--until-each-ran",
        action="store_true",
        default=False,
        help="stop once every scenario has run; --run-time is then a time-out",
    )


def scenario_ran(user: HttpUser) -> None:
    _ran.add(type(user).__name__)


def _quit_once_each_ran(environment: Environment) -> None:
    expected = {user_class.__name__ for user_class in environment.user_classes}
    while not expected <= _ran:
        gevent.sleep(0.1)
    environment.runner.stop()
    # Locust never writes the CSV at shutdown, only every CSV_STATS_INTERVAL_SEC:
    # quitting at once would leave out the requests of the last interval (the
    # editor's sign-in, just made). With the users stopped the figures are final,
    # and the writer's timer is due before this one, so its next pass has them.
    gevent.sleep(2 * CSV_STATS_INTERVAL_SEC)
    environment.runner.quit()


@events.test_start.add_listener
def _watch_scenarios(environment: Environment, **kwargs: Any) -> None:
    options = environment.parsed_options
    if options is not None and options.until_each_ran:
        gevent.spawn(_quit_once_each_ran, environment)


@events.quitting.add_listener
def _name_scenarios_that_never_ran(environment: Environment, **kwargs: Any) -> None:
    # Said in locust.log, where a time-out would otherwise leave only missing rows.
    missing = {user_class.__name__ for user_class in environment.user_classes} - _ran
    if missing:
        print(f"scenarios that never ran: {', '.join(sorted(missing))}", file=sys.stderr)


def article_paths(user: HttpUser) -> list[str]:
    """Every published article, read once per Locust process from the sitemap."""
    if not _article_paths:
        with user.client.get("/sitemap.xml", name="/sitemap.xml", catch_response=True) as response:
            paths = article_paths_from_sitemap(response.text) if response.ok else []
            if not paths:
                response.failure("the sitemap lists no article")
                return ["/articles/"]
            _article_paths.extend(paths)
    return _article_paths


class Reader(HttpUser):
    """An anonymous visitor: the home page, the list, articles, now and then the feed."""

    weight = 10
    wait_time = between(0.1, 0.5)

    def read(self, path: str, *, name: str) -> None:
        self.client.get(path, name=name)
        scenario_ran(self)

    @task(3)
    def home(self) -> None:
        self.read("/", name="/")

    @task(2)
    def article_list(self) -> None:
        self.read("/articles/", name="/articles/")

    @task(6)
    def article(self) -> None:
        self.read(random.choice(article_paths(self)), name="/articles/<slug>/")  # noqa: S311

    @task(1)
    def feed(self) -> None:
        self.read("/feed/", name="/feed/")


class Editor(HttpUser):
    """A signed-in editor moving between the admin's article list, search and forms."""

    fixed_count = 1
    wait_time = between(0.5, 1.5)
    change_links: list[str]

    def on_start(self) -> None:
        self.change_links = []
        page = self.client.get(ADMIN_LOGIN_PATH, name=ADMIN_LOGIN_PATH)
        with self.client.post(
            ADMIN_LOGIN_PATH,
            data={
                "username": os.environ.get("BENCH_EDITOR_USERNAME", "editor"),
                "password": os.environ.get("BENCH_EDITOR_PASSWORD", ""),
                "csrfmiddlewaretoken": csrf_token(page.text),
                "next": "/admin/",
            },
            headers={"Referer": self.host + ADMIN_LOGIN_PATH},
            name=f"{ADMIN_LOGIN_PATH} [editor signs in]",
            catch_response=True,
        ) as response:
            # A successful sign-in redirects into the admin; the form again means refused.
            if ADMIN_LOGIN_PATH in response.url:
                response.failure("the editor could not sign in")
        scenario_ran(self)

    @task(2)
    def article_changelist(self) -> None:
        page = self.client.get("/admin/content/article/", name="/admin/content/article/")
        self.change_links = admin_links(page.text, pattern=r"/admin/content/article/\d+/change/")

    @task(1)
    def search(self) -> None:
        self.client.get("/admin/content/article/?q=the", name="/admin/content/article/?q=")

    @task(2)
    def change_form(self) -> None:
        if self.change_links:
            self.client.get(
                random.choice(self.change_links),  # noqa: S311
                name="/admin/content/article/<id>/change/",
            )


class BruteForcer(HttpUser):
    """Guesses passwords as fast as it is answered; the rate limit should turn it away."""

    fixed_count = 1
    wait_time = constant(0.2)
    claimed = {"X-Forwarded-For": BRUTE_FORCER_ADDRESS}

    @task
    def guess(self) -> None:
        page = self.client.get(LOGIN_PATH, name=LOGIN_PATH, headers=self.claimed)
        if page.status_code != 200:
            return
        with self.client.post(
            LOGIN_PATH,
            data={
                "username": "admin",
                "password": f"guess-{random.getrandbits(32)}",
                "csrfmiddlewaretoken": csrf_token(page.text),
            },
            headers={"Referer": self.host + LOGIN_PATH, **self.claimed},
            name=f"{LOGIN_PATH} [wrong password]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in LOGIN_REFUSALS:
                if response.status_code in RATE_LIMITED:
                    # Counted apart, so the report shows how soon the limit bites.
                    response.request_meta["name"] = f"{LOGIN_PATH} [rate-limited]"
                response.success()
            else:
                response.failure(f"a wrong password got {response.status_code}")
        scenario_ran(self)
