""".env.example documents every variable the project reads."""

import re

from filamenta.environment import documented_variables
from tests.conftest import PROJECT_ROOT

SOURCES = ("filamenta", "settings", "apps", "deploy", "passenger_wsgi.py")
# The rehearsals are tooling: they build environments for the site, they don't configure it.
TOOLING = PROJECT_ROOT / "deploy" / "rehearsal"
# env.str("NAME", ...), helper(env, "NAME", ...) and gunicorn.conf.py's _count("NAME", ...)
READ = re.compile(r"""(?:\benv\.\w+\(|\(env,\s*|\b_count\()\s*["']([A-Z][A-Z0-9_]+)["']""")


def variables_read() -> dict[str, str]:
    found = {}
    for source in SOURCES:
        path = PROJECT_ROOT / source
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            if file.is_relative_to(TOOLING):
                continue
            for name in READ.findall(file.read_text()):
                found.setdefault(name, str(file.relative_to(PROJECT_ROOT)))
    return found


def test_the_scan_finds_the_variables_we_know_of():
    read = variables_read()
    for name in ("DATABASE_URL", "CACHE_BACKEND", "GUNICORN_WORKERS", "REDIS_SENTINELS"):
        assert name in read


def test_every_variable_read_is_in_env_example():
    undocumented = {
        name: where
        for name, where in variables_read().items()
        if name not in documented_variables()
    }
    assert undocumented == {}
