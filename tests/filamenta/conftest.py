"""Fixtures of tests/filamenta/backends that the database fault tests share."""

from tests.filamenta.backends.conftest import silent_port  # noqa: F401  (a fixture, used by name)
