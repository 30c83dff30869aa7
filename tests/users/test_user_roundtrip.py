"""The custom user model on each database: migrations apply and a user round-trips."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [pytest.mark.database, pytest.mark.django_db]

VENDOR_BY_SCHEME = {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}


def test_runs_on_the_database_it_was_given():
    url = os.environ.get("DATABASE_URL", "")
    expected = VENDOR_BY_SCHEME.get(url.split("://", 1)[0], "sqlite") if url else "sqlite"
    assert connection.vendor == expected


def test_every_migration_is_applied():
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert plan == []


def test_user_round_trips_with_unicode_and_password():
    User = get_user_model()
    User.objects.create_user(
        username="zoë", email="zoe@example.com", password="correct horse", display_name="Zoë 🚀"
    )

    user = User.objects.get(username="zoë")

    assert user.display_name == "Zoë 🚀"
    assert user.check_password("correct horse")
    assert not user.check_password("wrong")
    assert str(user) == "Zoë 🚀"


def test_user_model_is_the_project_one():
    assert get_user_model()._meta.label == "users.User"
