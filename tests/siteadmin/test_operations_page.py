"""The operations page shows what this deployment runs on, to those allowed."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_operations_page_describes_the_deployment(client, administrator):
    client.force_login(administrator)

    response = client.get("/admin/operations/")

    assert response.status_code == 200
    html = response.content.decode()
    overview = response.context["overview"]
    assert overview["environment"] == "test"
    assert overview["settings_module"] == "settings.test"
    assert overview["database"]["vendor"] == connection.vendor
    assert overview["health"]["database"]["ok"] is True
    assert overview["health"]["cache"]["ok"] is True
    backends = overview["backends"]
    labels = ("Cache tier", "Session engine", "Rate-limit store", "Circuit breaker")
    for shown in (*labels, backends["tier"], backends["session_engine"]):
        assert shown in html
    assert "no-store" in response["Cache-Control"]


def test_the_admin_index_links_to_it(client, administrator):
    client.force_login(administrator)

    assert 'href="/admin/operations/"' in client.get("/admin/").content.decode()


def test_staff_without_the_permission_get_403(client, editor):
    client.force_login(editor)

    assert client.get("/admin/operations/").status_code == 403
    assert 'href="/admin/operations/"' not in client.get("/admin/").content.decode()


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get("/admin/operations/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_shows_the_media_folder_its_size_and_the_free_space(client, administrator, settings):
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT) / f"ops-{administrator.pk}"
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "images" / "a.jpg").write_bytes(b"x" * 2048)
    settings.MEDIA_ROOT = root
    client.force_login(administrator)

    html = client.get("/admin/operations/").content.decode()

    assert "Media storage" in html
    assert str(root) in html
    assert "2.0\xa0KB in 1 file<" in html
    assert "Free space" in html


def test_it_shows_a_bucket_without_its_secret(client, administrator, settings):
    from filamenta.media_storage import s3_from_url

    target = s3_from_url("s3://key-id:very-secret@site-media/up?endpoint=https://s3.example.net")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "filamenta.media_s3.MediaS3Storage", "OPTIONS": target.options()},
    }
    client.force_login(administrator)

    html = client.get("/admin/operations/").content.decode()

    assert "site-media/up" in html
    assert "https://s3.example.net" in html
    assert "signed, valid 3600 s" in html
    assert "very-secret" not in html
    assert "key-id" not in html


def test_manage_py_backends_reports_the_media_store(clean_env, tmp_path):
    import json

    from tests.conftest import run_manage

    env = {**clean_env, "MEDIA_ROOT": str(tmp_path / "media")}
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "x.pdf").write_bytes(b"%PDF")
    report = json.loads(run_manage("backends", "--json", env=env).stdout)
    assert report["media"]["backend"] == "filesystem"
    assert report["media"]["disk"]["media_bytes"] == 4
    text = run_manage("backends", env=env).stdout
    assert f"Media:        files in {tmp_path / 'media'}" in text
    assert "4 B in 1 files" in text
