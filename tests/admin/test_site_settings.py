"""Site settings: one row, edited in the admin, read through the cache, invalidated on save."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.admin.models import AuditEntry, SiteSettings
from apps.admin.selectors import site_settings_get
from apps.admin.services import site_settings_update

pytestmark = pytest.mark.django_db


def test_first_read_creates_the_defaults():
    settings_row = site_settings_get()

    assert settings_row.pk == 1
    assert settings_row.site_name == "Filamenta"
    assert SiteSettings.objects.count() == 1


def test_reads_come_from_the_cache():
    site_settings_get()  # creates the row, which invalidates what it just cached
    site_settings_get()

    with CaptureQueriesContext(connection) as queries:
        site_settings_get()

    assert not any("siteadmin_sitesettings" in q["sql"] for q in queries.captured_queries)


def test_a_save_is_seen_by_the_next_read(editor):
    assert site_settings_get().site_name == "Filamenta"

    site_settings_update(by=editor, site_name="Renamed")

    assert site_settings_get().site_name == "Renamed"
    assert AuditEntry.objects.get(action=AuditEntry.Action.SETTINGS).actor == editor


def test_there_is_only_ever_one_row():
    SiteSettings(site_name="a").save()
    SiteSettings(site_name="b").save()

    assert list(SiteSettings.objects.values_list("pk", "site_name")) == [(1, "b")]


def test_the_admin_list_goes_straight_to_the_row(client, administrator):
    client.force_login(administrator)

    response = client.get("/admin/siteadmin/sitesettings/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/siteadmin/sitesettings/1/change/"


def test_bad_values_are_refused_with_errors(client, administrator):
    client.force_login(administrator)
    site_settings_get()

    response = client.post(
        "/admin/siteadmin/sitesettings/1/change/",
        {"site_name": "", "contact_email": "nope", "items_per_page": 0, "feed_items": 1000},
    )

    assert response.status_code == 200  # Django's admin re-renders the form
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"site_name", "contact_email", "items_per_page", "feed_items"}
    assert site_settings_get().items_per_page == 10


def test_settings_cannot_be_added_or_deleted(client, administrator):
    client.force_login(administrator)
    site_settings_get()

    assert client.get("/admin/siteadmin/sitesettings/add/").status_code == 403
    assert (
        client.post("/admin/siteadmin/sitesettings/1/delete/", {"post": "yes"}).status_code == 403
    )
