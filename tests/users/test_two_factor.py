"""Two-factor sign-in: the code step, set-up, backup codes, limits, history and the admin's rule."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import clear_script_prefix, set_script_prefix
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.siteadmin.models import AuditEntry
from apps.users.two_factor import two_factor_reset
from tests.fixtures import PASSWORD, authenticator_for, force_login_verified, totp_code

pytestmark = [pytest.mark.database, pytest.mark.django_db]

ADMIN_LOGIN = "/admin/login/?next=/admin/"
CODE_PAGE = "/accounts/two-factor/code/"
SETUP = "/accounts/two-factor/setup/"
MANAGE = "/accounts/two-factor/"
Action = AuditEntry.Action


@pytest.fixture
def require_2fa(settings):
    settings.STAFF_REQUIRE_2FA = True


def sign_in_password(client, username="edith", path=ADMIN_LOGIN, **extra):
    return client.post(path, {"username": username, "password": PASSWORD}, **extra)


def test_the_password_alone_signs_no_one_in_when_they_have_an_authenticator(client, editor):
    authenticator_for(editor)

    response = sign_in_password(client)

    assert response.status_code == 302
    assert response["Location"] == CODE_PAGE
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert not AuditEntry.objects.filter(action=Action.LOGIN).exists()


def test_the_code_then_signs_in_and_opens_the_admin(client, editor):
    device, _ = authenticator_for(editor)
    sign_in_password(client)

    page = client.get(CODE_PAGE)
    response = client.post(CODE_PAGE, {"code": totp_code(device)})

    assert page.status_code == 200
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.get(action=Action.LOGIN).actor == editor


def test_the_public_sign_in_asks_for_the_code_too(client, make_user):
    reader = make_user("rita")
    device, _ = authenticator_for(reader)

    response = sign_in_password(client, "rita", path="/accounts/login/")
    assert response["Location"] == CODE_PAGE
    assert client.get("/accounts/profile/").status_code == 302

    response = client.post(CODE_PAGE, {"code": totp_code(device)})
    assert response["Location"] == "/accounts/profile/"
    assert client.get("/accounts/profile/").status_code == 200


def test_a_wrong_code_is_a_400_and_recorded(client, editor):
    device, _ = authenticator_for(editor)
    sign_in_password(client)

    response = client.post(CODE_PAGE, {"code": totp_code(device, steps=5)})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.filter(action=Action.TWO_FACTOR_FAILED).get()
    assert failed.actor == editor


@pytest.mark.parametrize("code", ["", "x" * 500, "12\x0034", "١٢٣٤٥٦"])
def test_garbage_codes_are_a_400_not_a_500(client, editor, code):
    authenticator_for(editor)
    sign_in_password(client)

    assert client.post(CODE_PAGE, {"code": code}).status_code == 400


def test_a_code_works_once(client, editor):
    device, _ = authenticator_for(editor)
    code = totp_code(device)
    sign_in_password(client)
    assert client.post(CODE_PAGE, {"code": code}).status_code == 302
    client.post("/accounts/logout/")

    sign_in_password(client)
    response = client.post(CODE_PAGE, {"code": code})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_backup_code_signs_in_once_and_is_recorded(client, editor):
    _, codes = authenticator_for(editor)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    sign_in_password(client)

    response = client.post(CODE_PAGE, {"code": f" {codes[0].upper()} "})

    assert response.status_code == 302
    used = AuditEntry.objects.get(action=Action.TWO_FACTOR_BACKUP_USED)
    assert used.actor == editor
    assert "9 left" in used.summary
    client.post("/accounts/logout/")
    sign_in_password(client)
    assert client.post(CODE_PAGE, {"code": codes[0]}).status_code == 400


def test_code_attempts_are_limited_per_account_with_retry_after(client, editor, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/d"
    device, _ = authenticator_for(editor)
    sign_in_password(client)  # one attempt on the password counter, none on the code's

    statuses = [
        client.post(CODE_PAGE, {"code": "000000"}, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(3)
    ]
    response = client.post(CODE_PAGE, {"code": totp_code(device)}, REMOTE_ADDR="198.51.100.9")

    assert statuses == [400, 400, 400]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_without_a_pending_sign_in_the_code_page_sends_to_the_login(client):
    response = client.post(CODE_PAGE, {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- STAFF_REQUIRE_2FA -----------------------------------------------------------------


def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, editor, require_2fa):
    response = sign_in_password(client)
    assert response["Location"] == "/admin/"

    admin = client.get("/admin/", follow=True)

    assert admin.redirect_chain[-1][0] == f"{SETUP}?next=%2Fadmin%2F"
    assert admin.status_code == 200
    assert "<svg" in admin.content.decode()


def test_setting_up_shows_a_local_qr_code_and_ten_backup_codes_once(client, editor, require_2fa):
    client.force_login(editor)
    page = client.get(f"{SETUP}?next=/admin/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=editor, confirmed=False)

    # Drawn here: inline SVG, nothing loaded from elsewhere, nothing a strict CSP forbids.
    assert re.search(r"<svg[^>]*>", html)
    assert "style=" not in html
    assert "<style" not in html
    assert "<script" not in html
    assert "no-store" in page["Cache-Control"]
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert secret.replace(" ", "") in device.config_url

    done = client.post(SETUP, {"code": totp_code(device), "next": "/admin/"})

    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert "no-store" in done["Cache-Control"]
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.get(action=Action.TWO_FACTOR_ADDED).actor == editor
    # Shown once: the set-up page now leads to the settings page, which lists none.
    assert client.get(SETUP)["Location"] == MANAGE
    assert codes[0] not in client.get(MANAGE).content.decode()


def test_a_wrong_set_up_code_is_a_400_and_recorded(client, editor):
    client.force_login(editor)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=editor)

    response = client.post(SETUP, {"code": totp_code(device, steps=9)})

    assert response.status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEntry.objects.filter(action=Action.TWO_FACTOR_FAILED).exists()


def test_force_login_without_the_second_factor_does_not_open_the_admin(client, editor):
    device, _ = authenticator_for(editor)
    client.force_login(editor)

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == f"{CODE_PAGE}?next=%2Fadmin%2F"

    client.post(f"{CODE_PAGE}?next=/admin/", {"code": totp_code(device)})
    assert client.get("/admin/").status_code == 200


def test_a_verified_session_opens_the_admin_under_the_rule(client, editor, require_2fa):
    device, _ = authenticator_for(editor)
    force_login_verified(client, editor, device)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/operations/").status_code in (200, 403)


def test_without_the_rule_staff_without_an_authenticator_open_the_admin(client, editor):
    client.force_login(editor)

    assert client.get("/admin/").status_code == 200


# --- removal and reset -------------------------------------------------------------------


def test_an_administrator_resets_someone_s_second_factor_from_the_user_admin(
    client, editor, administrator, require_2fa
):
    admin_device, _ = authenticator_for(administrator)
    authenticator_for(editor)
    force_login_verified(client, administrator, admin_device)

    response = client.post(
        "/admin/users/user/",
        {"action": "reset_two_factor", "_selected_action": [editor.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Two-factor sign-in reset for edith" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticDevice.objects.filter(user=editor).exists()
    entry = AuditEntry.objects.get(action=Action.TWO_FACTOR_REMOVED)
    assert entry.actor == administrator
    assert "edith" in entry.summary
    assert "reset by ada" in entry.summary
    assert entry.log_entry.object_id == str(editor.pk)  # on edith's own History page


def test_only_a_superuser_resets_a_superuser_s_second_factor(
    client, make_user, administrator, require_2fa
):
    owner = make_user("root", is_staff=True, is_superuser=True)
    admin_device, _ = authenticator_for(administrator)
    authenticator_for(owner)
    force_login_verified(client, administrator, admin_device)

    response = client.post(
        "/admin/users/user/",
        {"action": "reset_two_factor", "_selected_action": [owner.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Only a superuser may reset" in response.content.decode()
    assert TOTPDevice.objects.filter(user=owner).exists()
    with pytest.raises(PermissionDenied):
        two_factor_reset(user=owner, by=administrator)
    assert TOTPDevice.objects.filter(user=owner).exists()
    assert two_factor_reset(user=owner, by=owner)  # their own, with a backup code


def test_after_a_reset_the_person_signs_in_with_the_password_and_sets_up_again(
    client, editor, administrator, require_2fa
):
    authenticator_for(editor)
    two_factor_reset(user=editor, by=administrator)

    assert sign_in_password(client)["Location"] == "/admin/"
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(SETUP)


def test_the_device_pages_of_django_otp_are_not_in_the_admin(client, administrator):
    client.force_login(administrator)

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


def test_someone_removes_their_own_with_a_code_and_it_is_recorded(client, editor):
    device, codes = authenticator_for(editor)
    force_login_verified(client, editor, device)

    # A wrong app code, then a backup code: django-otp slows each device
    # after a failure, and the backup codes are another device.
    refused = client.post(MANAGE, {"action": "remove", "code": totp_code(device, steps=7)})
    response = client.post(MANAGE, {"action": "remove", "code": codes[3]})

    assert refused.status_code == 400
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()
    entry = AuditEntry.objects.get(action=Action.TWO_FACTOR_REMOVED)
    assert entry.actor == editor
    assert "removed" in entry.summary


def test_new_backup_codes_end_the_old_ones(client, editor):
    device, old = authenticator_for(editor)
    force_login_verified(client, editor, device)

    response = client.post(MANAGE, {"action": "renew"})

    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10
    assert not set(new) & set(old)
    assert AuditEntry.objects.filter(action=Action.TWO_FACTOR_BACKUP_RENEWED).exists()
    client.post("/accounts/logout/")
    sign_in_password(client)
    assert client.post(CODE_PAGE, {"code": old[0]}).status_code == 400


# --- mounted under a sub-path ---------------------------------------------------------


@override_settings(FORCE_SCRIPT_NAME="/filamenta")
def test_under_a_sub_path_every_step_keeps_the_prefix(client, editor, require_2fa):
    device, _ = authenticator_for(editor)
    set_script_prefix("/filamenta/")
    try:
        step = client.post(
            "/admin/login/",
            {"username": "edith", "password": PASSWORD, "next": "/filamenta/admin/"},
        )
        page = client.get(CODE_PAGE)
        done = client.post(CODE_PAGE, {"code": totp_code(device)})
    finally:
        clear_script_prefix()

    assert step["Location"] == "/filamenta/accounts/two-factor/code/"
    assert 'action="/filamenta/accounts/two-factor/code/"' in page.content.decode()
    assert done["Location"] == "/filamenta/admin/"
