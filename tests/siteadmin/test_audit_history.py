"""Every admin change, sign-in and settings change lands in the history, with its origin."""

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.models import LogEntry

from apps.content.models import Article
from apps.siteadmin.admin import AuditEntryAdmin
from apps.siteadmin.audited import AuditedMixin, ServiceAuditedModelAdmin
from apps.siteadmin.models import AuditEntry
from tests.fixtures import PASSWORD, article_form

pytestmark = pytest.mark.django_db

ORIGIN = {"REMOTE_ADDR": "203.0.113.7", "HTTP_USER_AGENT": "AuditTest/2.0"}


def test_every_model_admin_records_its_changes():
    for model, model_admin in django_admin.site._registry.items():
        assert isinstance(model_admin, (AuditedMixin, ServiceAuditedModelAdmin, AuditEntryAdmin)), (
            model
        )


def test_adding_in_the_admin_is_recorded_with_ip_and_browser(client, editor):
    client.force_login(editor)

    response = client.post("/admin/content/article/add/", article_form(), **ORIGIN)

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADDED)
    assert entry.actor == editor
    assert entry.ip == "203.0.113.7"
    assert entry.user_agent == "AuditTest/2.0"
    assert entry.log_entry.object_repr == "Hello"
    assert entry.log_entry == LogEntry.objects.get()


def test_changing_in_the_admin_is_recorded_with_the_fields(client, editor):
    article = Article.objects.create(title="Hello", slug="hello", author=editor)
    client.force_login(editor)

    client.post(
        f"/admin/content/article/{article.pk}/change/",
        article_form(title="Changed", author=editor.pk),
        **ORIGIN,
    )

    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANGED)
    assert "Title" in entry.summary


def test_deleting_several_at_once_records_each(client, editor):
    a = Article.objects.create(title="A", slug="a")
    b = Article.objects.create(title="B", slug="b")
    client.force_login(editor)

    client.post(
        "/admin/content/article/",
        {"action": "delete_selected", "_selected_action": [a.pk, b.pk], "post": "yes"},
        **ORIGIN,
    )

    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.DELETED)
    assert sorted(e.summary for e in deleted) == ["article “A”", "article “B”"]
    assert {e.ip for e in deleted} == {"203.0.113.7"}


def test_the_publish_action_is_recorded(client, editor):
    article = Article.objects.create(title="A", slug="a")
    client.force_login(editor)

    client.post(
        "/admin/content/article/",
        {"action": "publish_selected", "_selected_action": [article.pk]},
        **ORIGIN,
    )

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PUBLISHED)
    assert entry.ip == "203.0.113.7"


def test_settings_changes_are_recorded_as_such(client, administrator):
    client.force_login(administrator)

    response = client.post(
        "/admin/siteadmin/sitesettings/1/change/",
        {"site_name": "New name", "tagline": "", "contact_email": "", "items_per_page": 5,
         "feed_items": 10},
        **ORIGIN,
    )  # fmt: skip

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SETTINGS)
    assert "Site name" in entry.summary


def test_admin_sign_in_failure_and_sign_out_are_recorded(client, make_user):
    make_user("boss", is_staff=True)

    client.post("/admin/login/", {"username": "boss", "password": "bad"}, **ORIGIN)
    client.post("/admin/login/", {"username": "boss", "password": PASSWORD}, **ORIGIN)
    client.post("/admin/logout/", **ORIGIN)

    actions = list(AuditEntry.objects.order_by("id").values_list("action", "ip"))
    assert actions == [
        ("login_failed", "203.0.113.7"),
        ("login", "203.0.113.7"),
        ("logout", "203.0.113.7"),
    ]


def test_history_survives_the_deletion_of_the_actor(client, editor, make_user):
    client.force_login(editor)
    client.post("/admin/content/article/add/", article_form())
    editor_name = editor.username

    editor.delete()

    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADDED)
    assert entry.actor is None
    assert entry.actor_name == editor_name
    assert "Hello" in entry.summary


def test_a_forwarded_address_is_used_when_the_proxy_is_configured(client, editor, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    client.force_login(editor)

    client.post("/admin/content/article/add/", article_form(), HTTP_X_REAL_IP="2001:db8::1")

    assert AuditEntry.objects.get(action="added").ip == "2001:db8::1"


def test_a_garbage_address_is_stored_as_unknown(client, editor, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    client.force_login(editor)

    client.post("/admin/content/article/add/", article_form(), HTTP_X_REAL_IP="<script>")

    assert AuditEntry.objects.get(action="added").ip is None
