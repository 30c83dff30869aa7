"""Every entry point builds the app with the mount point already set."""

import json

import pytest

from devtools.local_servers import run_python

SHOW = (
    "import json, importlib; m = importlib.import_module({module!r}); "
    "from django.conf import settings as s; from django.urls import reverse; "
    "print(json.dumps({{'static_url': s.STATIC_URL, 'admin': reverse('admin:index'), "
    "'callable': callable(m.application)}}))"
)


def load(module: str, env: dict[str, str]) -> dict:
    result = run_python("-c", SHOW.format(module=module), env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["filamenta.wsgi", "filamenta.asgi"])
def test_application_root_prefixes_static_and_reversed_urls(clean_env, module):
    seen = load(module, {**clean_env, "APPLICATION_ROOT": "/blog/"})
    assert seen == {"static_url": "/blog/static/", "admin": "/blog/admin/", "callable": True}


@pytest.mark.parametrize("module", ["filamenta.wsgi", "filamenta.asgi"])
def test_site_at_the_root_has_no_prefix(clean_env, module):
    seen = load(module, clean_env)
    assert (seen["static_url"], seen["admin"]) == ("/static/", "/admin/")
