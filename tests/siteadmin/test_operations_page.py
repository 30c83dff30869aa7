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
