"""The article editor speaks the editor's language: Trix's toolbar and the media chooser.

Its words are in the widget's markup (content/widgets/rich_text_editor.html) and
static/content/editor.js applies them before Trix builds the toolbar; only a real
browser runs that script, so this is where it is proven.
"""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password-7"


@pytest.mark.parametrize(
    ("language", "bold", "subheading", "image", "heading", "nothing", "label"),
    [
        ("fr", "Gras", "Sous-titre", "Insérer une image de la médiathèque", "Choisissez une image",
         "Rien trouvé.", "Texte"),
        ("en", "Bold", "Subheading", "Insert an image from the media library", "Choose an image",
         "Nothing found.", "Body"),
    ],
)  # fmt: skip
def test_the_editor_s_toolbar_and_chooser_in_the_reader_s_language(
    browser,
    live_server,
    make_user,
    make_article,
    language,
    bold,
    subheading,
    image,
    heading,
    nothing,
    label,
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    owner = make_user("owner", role="administrator", is_staff=True, is_superuser=True)
    owner.set_password(PASSWORD)
    owner.save()
    article = make_article("Lamps of the harbour", author=owner)
    wait = WebDriverWait(browser, 15)
    # The footer switcher's cookie, as a reader who chose the language has it.
    browser.get(f"{live_server.url}/admin/login/")
    browser.add_cookie({"name": "django_language", "value": language})
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("owner")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "operations-module")))

    browser.get(f"{live_server.url}/admin/content/article/{article.pk}/change/")
    toolbar = browser.find_element(By.CSS_SELECTOR, "trix-toolbar")
    # Screen readers name the editor by the form's label, in the same language
    # (WebDriver's computed label: what the accessibility tree says).
    editor = browser.find_element(By.CSS_SELECTOR, "trix-editor")
    assert editor.accessible_name.startswith(label), editor.accessible_name
    assert (
        toolbar.find_element(By.CSS_SELECTOR, "[data-trix-attribute=bold]").get_attribute("title")
        == bold
    )
    assert toolbar.find_element(By.CSS_SELECTOR, "[data-trix-attribute=heading3]").text == (
        subheading
    )
    chooser = toolbar.find_element(By.CSS_SELECTOR, "button[data-media-kind=image]")
    assert chooser.get_attribute("title") == image
    chooser.click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".media-chooser"), nothing))
    assert browser.find_element(By.CSS_SELECTOR, ".media-chooser h2").text == heading
