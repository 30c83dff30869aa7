"""A French reader in headless Chromium: the footer switcher turns the site French,
and signing in (password, then the second factor) goes through French pages to a
French admin.

Chromium sends ``Accept-Language: en-US`` here, so every French word seen after
the switch comes from the language cookie the switcher set, not from the browser.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.browser.conftest import WAIT_SECONDS, snap
from tests.fixtures import authenticator_for, totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "un-long-mot-de-passe-7"


def page_language(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "html").get_attribute("lang")


def test_a_reader_switches_to_french_and_signs_in_through_french_pages(
    browser, live_server, settings
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.STAFF_REQUIRE_2FA = True
    wait = WebDriverWait(browser, WAIT_SECONDS)
    owner = get_user_model().objects.create_user(
        "proprietaire", email="p@example.com", password=PASSWORD, is_staff=True
    )
    owner.groups.add(Group.objects.get(name="administrator"))
    device, _ = authenticator_for(owner)

    # The home page in English, then French through the footer's switcher.
    browser.get(f"{live_server.url}/")
    assert page_language(browser) == "en"
    switcher = browser.find_element(By.CSS_SELECTOR, "form.language-switcher")
    Select(switcher.find_element(By.NAME, "language")).select_by_value("fr")
    switcher.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: page_language(d) == "fr")
    assert browser.get_cookie("django_language")["value"] == "fr"
    assert browser.find_element(By.CSS_SELECTOR, "form.language-switcher button").text == (
        "Changer de langue"
    )
    snap(browser, "fr-1-home")

    # The site's own sign-in page, in French.
    browser.get(f"{live_server.url}/accounts/login/?next=/admin/")
    assert page_language(browser) == "fr"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Se connecter"
    assert "Mot de passe oublié ?" in browser.page_source
    browser.find_element(By.NAME, "username").send_keys("proprietaire")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    snap(browser, "fr-2-sign-in")
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()

    # The second factor, asked in French.
    wait.until(ec.url_contains("/accounts/two-factor/code/"))
    assert page_language(browser) == "fr"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Votre code à deux facteurs"
    snap(browser, "fr-3-two-factor-code")
    browser.find_element(By.NAME, "code").send_keys(totp_code(device))
    browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()

    # The admin, in French (Django's own words, and ours beside them).
    wait.until(ec.presence_of_element_located((By.ID, "operations-module")))
    snap(browser, "fr-4-admin-index")
    assert page_language(browser) == "fr"
    tools = browser.find_element(By.ID, "user-tools").get_attribute(
        "textContent"
    )  # not upper-cased
    assert "Bienvenue" in tools
    assert "Déconnexion" in tools
