"""Fixtures of tests/backends that the database fault tests share."""

from tests.backends.conftest import silent_port  # noqa: F401  (a fixture, used by name)
