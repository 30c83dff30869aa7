"""Migration 0004 copies each history entry's object from its LogEntry (finding 8)."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = [
    pytest.mark.database,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BEFORE = [("siteadmin", "0003_site_settings_row")]


def migrate(targets=None):
    """Migrate to ``targets`` (None: every app's latest, as the rest of the suite expects)."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_entries_get_the_object_and_the_words_of_their_log_entry(django_user_model):
    old = migrate(BEFORE)
    try:
        ContentType = old.get_model("contenttypes", "ContentType")
        LogEntry = old.get_model("admin", "LogEntry")
        AuditEntry = old.get_model("siteadmin", "AuditEntry")
        User = old.get_model("users", "User")
        someone = User.objects.create(username="edith")
        # A test with serialized_rollback before this one (in its worker) leaves the
        # tables empty until the next such test restores them: no content type to find.
        article_type, _ = ContentType.objects.get_or_create(app_label="content", model="article")
        admin_words = json.dumps([{"changed": {"fields": ["Title"]}}])
        log = LogEntry.objects.create(user=someone, content_type=article_type, object_id="7",
                                      object_repr="Story", action_flag=2,
                                      change_message=admin_words)  # fmt: skip
        linked = AuditEntry.objects.create(action="changed", log_entry=log, actor=someone)
        alone = AuditEntry.objects.create(action="login", actor=someone)
    finally:
        new = migrate()

    AuditEntry = new.get_model("siteadmin", "AuditEntry")
    linked, alone = AuditEntry.objects.get(pk=linked.pk), AuditEntry.objects.get(pk=alone.pk)
    assert (linked.content_type_id, linked.object_id, linked.object_repr) == (
        article_type.pk, "7", "Story"
    )  # fmt: skip
    assert linked.message == "Changed Title."
    assert (alone.content_type_id, alone.object_id, alone.message) == (None, "", "")
