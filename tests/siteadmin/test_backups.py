"""Backups without a terminal: the operations page's download, and rotation for cron."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from apps.siteadmin.backups import BACKUP_NAME, backup_name, backup_rotate
from apps.siteadmin.models import AuditEntry
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/admin/operations/backup/"


def test_only_those_with_the_permission_see_the_page(client, editor, administrator):
    client.force_login(editor)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"password": PASSWORD}).status_code == 403

    client.force_login(administrator)
    page = client.get(URL)
    assert page.status_code == 200
    assert "Your password" in page.content.decode()
    assert "no-store" in page["Cache-Control"]


def test_the_operations_page_links_to_it_only_for_those_who_may(client, administrator, make_user):
    from django.contrib.auth.models import Permission

    on_call = make_user("on-call", role="editor", is_staff=True)
    on_call.user_permissions.add(Permission.objects.get(codename="view_operations"))
    client.force_login(on_call)
    assert URL not in client.get("/admin/operations/").content.decode()

    client.force_login(administrator)
    assert URL in client.get("/admin/operations/").content.decode()


def test_a_wrong_password_is_a_form_error_and_nothing_is_sent(client, administrator):
    client.force_login(administrator)

    response = client.post(URL, {"password": "not my password"})

    assert response.status_code == 400
    assert "This is not your password." in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.BACKUP_DOWNLOADED).exists()


def test_guesses_at_the_password_are_limited_like_sign_ins(client, administrator, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/h"
    client.force_login(administrator)
    statuses = [client.post(URL, {"password": f"guess {n}"}).status_code for n in range(4)]

    assert statuses == [400, 400, 400, 429]


def test_the_right_password_streams_an_archive_that_imports(client, administrator, make_article):
    from apps.siteadmin.site_archive import site_import  # noqa: F401  (the archive's reader)

    make_article("In the backup")
    client.force_login(administrator)

    response = client.post(URL, {"password": PASSWORD})

    assert response.status_code == 200
    assert response.streaming
    assert re.fullmatch(
        r'attachment; filename="[a-z0-9-]+-\d{8}-\d{6}Z\.zip"', response["Content-Disposition"]
    )
    assert response["X-Accel-Buffering"] == "no"
    assert "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK"  # a zip
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BACKUP_DOWNLOADED)
    assert entry.actor == administrator


def test_backup_names_sort_by_time_and_say_utc():
    name = backup_name(now=datetime(2026, 12, 2, 6, 48, 0, tzinfo=UTC))
    assert name == "site-20261202-064800Z.zip"
    assert BACKUP_NAME.match(name)


def test_rotation_keeps_the_newest_and_touches_nothing_else(tmp_path, make_article):
    make_article("Kept")
    for stamp in ("20250101-000000", "20250102-000000", "20250103-000000"):
        (tmp_path / f"site-{stamp}Z.zip").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "site-20250101-000000Z.zip.bak").write_text("mine too")

    written, removed = backup_rotate(directory=tmp_path, keep=2)

    assert written.exists()
    assert sorted(p.name for p in removed) == [
        "site-20250101-000000Z.zip",
        "site-20250102-000000Z.zip",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["site-20250103-000000Z.zip", written.name, "notes.txt", "site-20250101-000000Z.zip.bak"]
    )


def test_rotation_refuses_to_keep_none(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        backup_rotate(directory=tmp_path, keep=0)


def test_the_command_rotates(tmp_path, make_article):
    make_article("Kept")
    call_command("site_export", "--rotate", str(tmp_path), "--keep", "1")
    call_command("site_export", "--rotate", str(tmp_path), "--keep", "1")

    assert len([p for p in tmp_path.iterdir() if BACKUP_NAME.match(p.name)]) == 1
