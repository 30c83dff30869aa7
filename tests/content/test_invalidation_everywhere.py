"""A save outside the web process refreshes the cached pages: a command, a shell, a cron job.

The receivers that bump the page versions used to be connected only when the
views or selectors were imported, which a web process does and ``manage.py
shell`` does not: its save left the home page stale for the page timeout.
Each step runs in its own process, on the file tier they share.
"""

from __future__ import annotations

from tests.conftest import run_manage
from tests.filamenta.backends.helpers import tier_env

PUBLISH = (
    "from apps.content.models import Article; from django.utils import timezone; "
    "Article.objects.create(title={title!r}, slug={slug!r}, body='x', "
    "status=Article.Status.PUBLISHED, published_at=timezone.now())"
)
HOME = (
    "from django.test import Client; r = Client().get('/', HTTP_HOST='localhost'); "
    "print(r.status_code, r.get('X-Page-Cache')); print(r.content.decode())"
)


def test_a_save_from_a_shell_refreshes_the_cached_home_page(clean_env, tmp_path):
    env = tier_env(clean_env, tmp_path, "file")

    def manage(*args: str) -> str:
        result = run_manage(*args, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("migrate", "--no-input")
    manage("shell", "--no-imports", "-c", PUBLISH.format(title="First news", slug="first-news"))
    first = manage("shell", "--no-imports", "-c", HOME)
    assert first.startswith("200 miss")
    assert manage("shell", "--no-imports", "-c", HOME).startswith(
        "200 hit"
    )  # cached, shared by processes

    manage("shell", "--no-imports", "-c", PUBLISH.format(title="Second news", slug="second-news"))
    after = manage("shell", "--no-imports", "-c", HOME)
    assert after.startswith("200 miss")
    assert "Second news" in after
