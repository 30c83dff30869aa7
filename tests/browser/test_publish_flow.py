"""A site owner's day in headless Chromium: sign in to the admin with the second factor,
write and publish an article, read it on the public site, and find it in the audit history;
and a new staff member setting up two-factor sign-in before the admin opens.

Runs against a live server (pytest-django's live_server) with the system's
chromium and chromedriver (Debian packages). Screenshots of each step go to
test-artifacts/ (git-ignored) so a failure in CI can be looked at.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.browser.conftest import snap
from tests.fixtures import authenticator_for, totp_code

# live_server needs committed rows; serialized_rollback brings back the roles the
# migrations created, which an earlier transactional test's flush removes.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password-7"
WAIT_SECONDS = 15


def test_write_publish_read_and_audit(browser, live_server, settings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.STAFF_REQUIRE_2FA = True
    wait = WebDriverWait(browser, WAIT_SECONDS)
    owner = get_user_model().objects.create_user(
        "owner", email="owner@example.com", password=PASSWORD, is_staff=True
    )
    owner.groups.add(Group.objects.get(name="administrator"))
    device, _ = authenticator_for(owner)

    # Sign in to the admin: the password, then the code the app would show now.
    browser.get(f"{live_server.url}/admin/")
    browser.find_element(By.NAME, "username").send_keys("owner")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    snap(browser, "1-admin-login")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.url_contains("/accounts/two-factor/code/"))
    browser.find_element(By.NAME, "code").send_keys(totp_code(device))
    snap(browser, "1b-two-factor-code")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "operations-module")))
    snap(browser, "2-admin-index")

    # Write a draft; the slug fills itself in from the title.
    browser.get(f"{live_server.url}/admin/content/article/add/")
    browser.find_element(By.NAME, "title").send_keys("Lamps of the harbour")
    try:
        wait.until(lambda d: d.find_element(By.NAME, "slug").get_attribute("value"))
    except Exception:
        # What the page was and what its scripts said, for whoever reads the failure.
        snap(browser, "3-slug-not-filled")
        print(browser.current_url, browser.get_log("browser"), browser.page_source[:3000])
        raise
    # The body is a rich-text editor: its toolbar makes the emphasis; markup typed is text.
    editor = browser.find_element(By.CSS_SELECTOR, "trix-editor")
    editor.click()
    editor.send_keys("The ")
    italic = browser.find_element(By.CSS_SELECTOR, "[data-trix-attribute=italic]")
    italic.click()
    editor.send_keys("harbour")
    italic.click()
    editor.send_keys(" lamps. <script>alert('x')</script>")
    snap(browser, "3-article-form")
    browser.find_element(By.NAME, "_save").click()
    # The add form's own address contains the list's: wait for the message instead.
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "added successfully")
    )

    # Publish it with the admin action.
    browser.find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("publish_selected")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "Published 1"))
    snap(browser, "4-published")

    # Read it on the public site: listed on the home page, script removed.
    browser.get(f"{live_server.url}/")
    browser.find_element(By.LINK_TEXT, "Lamps of the harbour").click()
    wait.until(ec.url_contains("/articles/lamps-of-the-harbour/"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Lamps of the harbour"
    assert browser.find_element(By.CSS_SELECTOR, ".body em").text == "harbour"
    # What was typed as markup is shown as text, never run.
    assert "<script>alert" not in browser.page_source
    assert "<script>alert('x')</script>" in browser.find_element(By.CSS_SELECTOR, ".body").text
    assert browser.find_element(By.CSS_SELECTOR, "link[rel=stylesheet]").get_attribute("href")
    snap(browser, "5-public-article")

    # The history shows the sign-in, the addition and the publication, from this browser.
    browser.get(f"{live_server.url}/admin/siteadmin/auditentry/")
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]
    snap(browser, "6-history")
    assert any("Published" in row and "Lamps of the harbour" in row for row in rows), rows
    assert any("Added" in row and "Lamps of the harbour" in row for row in rows), rows
    assert any("Logged in" in row and "owner" in row for row in rows), rows
    assert any("127.0.0.1" in row for row in rows), rows


def test_new_staff_set_up_two_factor_before_the_admin_opens(browser, live_server, settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings.STAFF_REQUIRE_2FA = True
    wait = WebDriverWait(browser, WAIT_SECONDS)
    newcomer = get_user_model().objects.create_user("newcomer", password=PASSWORD, is_staff=True)
    newcomer.groups.add(Group.objects.get(name="editor"))

    browser.get(f"{live_server.url}/admin/")
    browser.find_element(By.NAME, "username").send_keys("newcomer")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.url_contains("/accounts/two-factor/setup/"))
    # The QR code is drawn in the page (inline SVG) and shows in a real browser.
    qr = browser.find_element(By.CSS_SELECTOR, ".qr svg")
    assert qr.size["width"] > 100
    snap(browser, "7-two-factor-setup")

    # What the phone computes from the key on the page.
    key = browser.find_element(By.ID, "totp-secret").text.replace(" ", "")
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    assert key in device.config_url
    browser.find_element(By.NAME, "code").send_keys(totp_code(device))
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
    codes = browser.find_elements(By.CSS_SELECTOR, "#backup-codes code")
    assert len(codes) == 10
    snap(browser, "8-backup-codes")

    browser.find_element(By.LINK_TEXT, "I have kept them: continue").click()
    wait.until(ec.presence_of_element_located((By.ID, "site-name")))
    assert browser.current_url == f"{live_server.url}/admin/"
