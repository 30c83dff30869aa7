"""The Content-Security-Policy measured in a real browser: no page of the site or admin breaks it.

Chromium reports every refused inline script, inline style, image or font on
its console ("Refused to … because it violates the following Content Security
Policy directive"); each page below is opened (the admin's change list,
change forms, history, operations page, sign-in and password change, and the
public pages) and the console must hold no violation and no other error.
This is how the policy's needs were measured rather than guessed
(filamenta/security_headers.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import snap

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password-7"


def console_problems(browser: Any) -> list[str]:
    """Console errors and CSP reports since the last call (reading the log empties it)."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if (entry["level"] == "SEVERE" or "Content Security Policy" in entry["message"])
        # The site has no favicon; the browser asks for one on every first visit.
        and "/favicon.ico" not in entry["message"]
    ]


def test_admin_and_public_pages_keep_to_the_policy(browser, live_server, make_user, make_article):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    owner = make_user("owner", role="administrator", is_staff=True, is_superuser=True)
    owner.set_password(PASSWORD)
    owner.save()
    article = make_article("Lamps of the harbour", author=owner)
    draft = make_article("A draft", published=False, author=owner)
    wait = WebDriverWait(browser, 15)
    problems: dict[str, list[str]] = {}

    def visit(path: str) -> None:
        browser.get(f"{live_server.url}{path}")
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        if found := console_problems(browser):
            problems[path] = found
            snap(browser, "csp-" + path.strip("/").replace("/", "-"))

    # The console does report a violation: an inline style added to a page is refused.
    visit("/")
    browser.execute_script(
        "document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')"
    )
    canary = console_problems(browser)
    assert any("Content Security Policy" in line for line in canary), canary

    for path in ("/articles/", f"/articles/{article.slug}/", "/accounts/login/"):
        visit(path)
    # The JSON-LD data block is neither run nor refused, and a title cannot break out of it.
    hostile = make_article("</script><script>alert(1)</script>", author=owner)
    visit(f"/articles/{hostile.slug}/")
    headline = browser.execute_script(
        "return JSON.parse(document.querySelector('script[type=\"application/ld+json\"]')"
        ".textContent).headline"
    )
    assert headline == hostile.title
    assert browser.execute_script("return document.scripts.length") == 1
    visit("/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("owner")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "operations-module")))
    for path in (
        "/admin/",
        "/admin/content/article/",
        "/admin/content/article/?status__exact=draft&q=draft",
        "/admin/content/article/add/",
        f"/admin/content/article/{article.pk}/change/",
        f"/admin/content/article/{draft.pk}/change/",
        f"/admin/content/article/{article.pk}/history/",
        f"/admin/content/article/{article.pk}/revisions/",
        f"/admin/content/article/{article.pk}/revisions/2/",
        f"/admin/content/article/{article.pk}/revisions/1/restore/",
        f"/admin/content/article/{article.pk}/delete/",
        "/admin/users/user/",
        f"/admin/users/user/{owner.pk}/change/",
        f"/admin/users/user/{owner.pk}/password/",
        "/admin/siteadmin/auditentry/",
        "/admin/operations/",
        "/admin/password_change/",
        "/accounts/profile/",
        "/accounts/password_change/",
    ):
        visit(path)
    # The date and time widgets are built by the admin's JavaScript after load.
    browser.get(f"{live_server.url}/admin/content/article/add/")
    for link in browser.find_elements(By.CSS_SELECTOR, ".datetimeshortcuts a"):
        link.click()
    # The author field's autocomplete (select2) asks /admin/autocomplete/ as one types.
    browser.find_element(By.CSS_SELECTOR, ".field-author .select2-selection").click()
    browser.find_element(By.CSS_SELECTOR, ".select2-search__field").send_keys("own")
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".select2-results"), "owner"))
    if found := console_problems(browser):
        problems["/admin/content/article/add/ (widgets opened)"] = found

    # The body's rich-text editor (Trix, its nonced style element, its icons) and its
    # toolbar: typing, a heading, a list, a quote, code, a link, and the media chooser.
    browser.get(f"{live_server.url}/admin/content/article/{article.pk}/change/")
    editor = browser.find_element(By.CSS_SELECTOR, "trix-editor")
    editor.click()
    editor.send_keys(Keys.END, Keys.ENTER, "A heading")
    for attribute in ("heading1", "heading3", "quote", "code", "bullet", "number"):
        browser.find_element(By.CSS_SELECTOR, f"[data-trix-attribute={attribute}]").click()
    editor.send_keys(Keys.ENTER, "linked")
    browser.find_element(By.CSS_SELECTOR, "[data-trix-action=link]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=href]").send_keys("https://example.com/")
    browser.find_element(By.CSS_SELECTOR, "input[data-trix-method=setAttribute]").click()
    for kind in ("image", "document"):
        browser.find_element(By.CSS_SELECTOR, f"button[data-media-kind={kind}]").click()
        wait.until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".media-chooser"), "Nothing found")
        )
        browser.find_element(By.CSS_SELECTOR, ".media-chooser__close").click()
    assert "linked" in editor.text
    if found := console_problems(browser):
        problems["/admin/content/article/ change (editor used)"] = found
    snap(browser, "csp-editor")
    assert not problems, problems
