"""Where configuration comes from, and which settings module it selects.

Every entry point (``manage.py``, WSGI, ASGI, ``passenger_wsgi.py``) calls
:func:`configure` before Django loads settings, so that a ``.env`` file can
choose the deployment target as well as fill in its variables.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# One object for the whole project: settings import it rather than reading
# os.environ themselves, so every variable goes through the same casting.
env = environ.Env()

SETTINGS_BY_TARGET = {
    "development": "settings.development",
    "cpanel": "settings.cpanel",
    "vps": "settings.vps",
    "docker": "settings.docker",
    "production": "settings.production",
}


def whole_number(
    name: str, default: int, *, minimum: int = 0, maximum: int | None = None, hint: str = ""
) -> int:
    """An integer variable in ``minimum``..``maximum``, or stop naming it, its value and the range.

    Ports, counts and timeouts are all read this way, so every such variable
    fails the same way: a typo in a panel's field stops start-up with a
    message that says which variable and what it accepts.
    """
    raw = env.str(name, default=str(default)).strip()
    value = int(raw) if raw.isascii() and raw.isdigit() else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        accepted = (
            f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        )
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a whole number {accepted}; set it to an integer such as "
            f"{default}.{' ' + hint if hint else ''}"
        )
    return value


def documented_variables() -> frozenset[str]:
    """Every variable .env.example documents: the project's whole configuration surface.

    Tools that start the site in a child process (tests, rehearsals, benchmarks)
    remove these from the environment they pass on, so a developer's shell cannot
    change what they see; a test keeps the file complete.
    """
    text = (BASE_DIR / ".env.example").read_text()
    return frozenset(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def read_env_file(path: Path | None = None) -> None:
    """Load ``.env`` into the process environment without overriding it.

    Real environment variables win, so a host's panel or a container's
    environment can always correct a value left in the file.
    """
    path = path or Path(env.str("FILAMENTA_ENV_FILE", default=str(BASE_DIR / ".env")))
    if path.is_file():
        env.read_env(str(path), overwrite=False)


def settings_module_for(environ_: os._Environ[str] | dict[str, str]) -> str:
    """Name the settings module: DJANGO_SETTINGS_MODULE, else DEPLOYMENT_TARGET."""
    explicit = environ_.get("DJANGO_SETTINGS_MODULE")
    if explicit:
        return explicit
    target = environ_.get("DEPLOYMENT_TARGET", "").strip().lower() or "development"
    try:
        return SETTINGS_BY_TARGET[target]
    except KeyError:
        raise ImproperlyConfigured(
            f"DEPLOYMENT_TARGET={environ_['DEPLOYMENT_TARGET']!r} is not a deployment "
            f"target; use one of: {', '.join(SETTINGS_BY_TARGET)}."
        ) from None


def configure() -> str:
    """Read ``.env``, make what this process writes private, set DJANGO_SETTINGS_MODULE.

    Returns the module chosen. The file modes come before any settings module
    runs: settings create instance/logs/ and the log file as they load.
    """
    from filamenta.file_modes import restrict_file_modes

    read_env_file()
    restrict_file_modes()
    module = settings_module_for(os.environ)
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    return module
