"""The history in the admin: listed, filtered and searched, never added, changed or deleted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.services import history_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(administrator):
    history_record(action=AuditEntry.Action.LOGIN, actor=administrator)
    history_record(action=AuditEntry.Action.LOGIN_FAILED, actor_name="mallory",
                   message="Failed sign-in as “mallory”.")  # fmt: skip
    return AuditEntry.objects.order_by("id")


def test_history_is_listed_and_filtered(client, administrator, entries):
    client.force_login(administrator)

    everything = client.get("/admin/siteadmin/auditentry/")
    failed = client.get("/admin/siteadmin/auditentry/", {"action": "login_failed"})
    searched = client.get("/admin/siteadmin/auditentry/", {"q": "mallory"})

    assert everything.status_code == 200
    assert "mallory" in failed.content.decode()
    assert failed.context["cl"].result_count == 1
    assert searched.context["cl"].result_count == 1


def test_history_list_queries_do_not_grow_with_the_history(client, administrator, entries):
    client.force_login(administrator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/admin/siteadmin/auditentry/").status_code == 200
        return len(captured)

    # One-off: the first request creates the cache versions.
    client.get("/admin/siteadmin/auditentry/")
    few = queries()
    for n in range(40):
        history_record(action=AuditEntry.Action.LOGIN, actor=administrator, message=str(n))
    client.get("/admin/siteadmin/auditentry/")
    many = queries()

    assert many == few


def test_history_cannot_be_added_changed_or_deleted(client, administrator, make_user, entries):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    entry = entries.first()

    for user in (administrator, superuser):
        client.force_login(user)
        assert client.get("/admin/siteadmin/auditentry/add/").status_code == 403
        view = client.get(f"/admin/siteadmin/auditentry/{entry.pk}/change/")
        assert view.status_code == 200
        assert 'name="_save"' not in view.content.decode()
        posted = client.post(
            f"/admin/siteadmin/auditentry/{entry.pk}/change/", {"summary": "forged"}
        )
        assert posted.status_code == 403
        assert (
            client.post(
                f"/admin/siteadmin/auditentry/{entry.pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )

    entry.refresh_from_db()
    assert entry.summary != "forged"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_editors_cannot_see_the_history(client, editor, entries):
    client.force_login(editor)

    assert client.get("/admin/siteadmin/auditentry/").status_code == 403
