"""Site settings: one row, edited in the admin, read through the cache, invalidated on save."""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.siteadmin.models import AuditEntry, SiteSettings
from apps.siteadmin.selectors import site_settings_get
from apps.siteadmin.services import site_settings_update

pytestmark = pytest.mark.django_db


def test_the_row_exists_after_migrate_with_the_defaults():
    settings_row = SiteSettings.objects.get()

    assert settings_row.pk == 1
    assert settings_row.site_name == "Filamenta"
    assert site_settings_get() == settings_row


def test_reading_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        site_settings_get()

    # (The cache versions on the test's tier are rows too: only this table counts.)
    statements = [
        q["sql"].lstrip().split()[0].upper()
        for q in queries.captured_queries
        if "siteadmin_sitesettings" in q["sql"]
    ]
    assert statements == ["SELECT"]


def test_a_missing_row_reads_as_the_unsaved_defaults():
    SiteSettings.objects.all().delete()

    settings_row = site_settings_get()

    assert settings_row.pk == 1
    assert settings_row._state.adding
    assert settings_row.items_per_page == 10
    assert not SiteSettings.objects.exists()


def test_the_update_stores_a_missing_row(editor):
    SiteSettings.objects.all().delete()

    site_settings_update(by=editor, tagline="Back")

    assert list(SiteSettings.objects.values_list("pk", "tagline")) == [(1, "Back")]
    assert site_settings_get().tagline == "Back"


def test_an_update_is_recorded_once_with_the_changed_fields(editor):
    site_settings_update(by=editor, site_name="Renamed", items_per_page=5, feed_items=20)

    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.SETTINGS
    assert entry.summary == "site settings “Renamed”: Changed Site name and Items per page."
    assert entry.log_entry == LogEntry.objects.get()


def test_an_update_that_changes_nothing_records_nothing(editor):
    site_settings_update(by=editor, site_name="Filamenta")

    assert not AuditEntry.objects.exists()


def test_unknown_fields_are_refused(editor):
    with pytest.raises(TypeError, match="updated_at"):
        site_settings_update(by=editor, updated_at=None)


def test_the_admin_form_goes_through_the_service_and_records_once(client, administrator):
    client.force_login(administrator)

    response = client.post(
        "/admin/siteadmin/sitesettings/1/change/",
        {"site_name": "Admin name", "tagline": "Notes, pages and posts", "contact_email": "",
         "items_per_page": 10, "feed_items": 20},
    )  # fmt: skip

    assert response.status_code == 302
    entry = AuditEntry.objects.exclude(action=AuditEntry.Action.LOGIN).get()
    assert entry.action == AuditEntry.Action.SETTINGS
    assert entry.summary.endswith("Changed Site name.")
    assert LogEntry.objects.get().get_change_message() == "Changed Site name."
    assert site_settings_get().site_name == "Admin name"


def test_the_admin_form_of_a_missing_row_stores_it(client, administrator):
    SiteSettings.objects.all().delete()
    client.force_login(administrator)

    assert client.get("/admin/siteadmin/sitesettings/1/change/").status_code == 200
    response = client.post(
        "/admin/siteadmin/sitesettings/1/change/",
        {"site_name": "Restored", "tagline": "", "contact_email": "", "items_per_page": 10,
         "feed_items": 20},
    )  # fmt: skip

    assert response.status_code == 302
    assert SiteSettings.objects.get().site_name == "Restored"


def test_reads_come_from_the_cache():
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

    assert client.get("/admin/siteadmin/sitesettings/add/").status_code == 403
    assert (
        client.post("/admin/siteadmin/sitesettings/1/delete/", {"post": "yes"}).status_code == 403
    )
