"""The article editor in Chromium: an image of the media library, chosen in the editor,
published, and shown on the public page; under the site's strict CSP throughout.

The editor uploads the image into the library through its admin add form,
then everything is the editor's screen: the toolbar, the chooser dialog,
saving, publishing, and the public page, which loads the rendition its
1280 px window takes from the srcset.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from PIL import Image

from tests.browser.conftest import snap
from tests.browser.test_content_security_policy import console_problems

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password-7"
WAIT_SECONDS = 15


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def png(path, size=(1200, 600)):
    Image.new("RGB", size, (30, 90, 160)).save(path, "PNG")
    return path


def test_an_editor_inserts_a_library_image_and_the_public_page_shows_it(
    browser, live_server, media_root, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from apps.content.models import Article
    from apps.media.models import MediaItem

    wait = WebDriverWait(browser, WAIT_SECONDS)
    edith = get_user_model().objects.create_user("edith", password=PASSWORD, is_staff=True)
    edith.groups.add(Group.objects.get(name="editor"))

    browser.get(f"{live_server.url}/admin/")
    browser.find_element(By.NAME, "username").send_keys("edith")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "site-name")))
    console_problems(browser)

    browser.get(f"{live_server.url}/admin/media/mediaitem/add/")
    browser.find_element(By.NAME, "upload").send_keys(str(png(tmp_path / "lamp.png")))
    browser.find_element(By.NAME, "title").send_keys("Harbour lamp")
    browser.find_element(By.NAME, "alt_text").send_keys("A blue lamp")
    browser.find_element(By.NAME, "_save").click()
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "added successfully")
    )
    item = MediaItem.objects.get(title="Harbour lamp")
    rendition_960 = item.renditions.get(width=960, format="png").file.url

    browser.get(f"{live_server.url}/admin/content/article/add/")
    browser.find_element(By.NAME, "title").send_keys("Lamps of the harbour")
    editor = browser.find_element(By.CSS_SELECTOR, "trix-editor")
    editor.click()
    editor.send_keys("The lamps")
    browser.find_element(By.CSS_SELECTOR, "[data-trix-attribute=heading1]").click()
    editor.send_keys(Keys.ENTER, "They are ")
    bold = browser.find_element(By.CSS_SELECTOR, "[data-trix-attribute=bold]")
    bold.click()
    editor.send_keys("blue")
    bold.click()
    editor.send_keys(".", Keys.ENTER)

    browser.find_element(By.CSS_SELECTOR, "button[data-media-kind=image]").click()
    choice = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, f"[data-media-id='{item.pk}']"))
    )
    snap(browser, "editor-1-chooser")
    choice.click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "trix-editor figure img")))
    snap(browser, "editor-2-inserted")
    browser.find_element(By.NAME, "_save").click()
    wait.until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "added successfully")
    )
    article = Article.objects.get(title="Lamps of the harbour")
    assert "<h2>The lamps</h2>" in article.body
    assert "<strong>blue</strong>" in article.body
    (figure,) = re.findall(r"<figure>.*?</figure>", article.body)
    assert f'src="{rendition_960}"' in figure, figure
    assert f"{item.file.url} 1200w" in figure, figure  # the srcset, up to the original
    assert 'width="1200" height="600" alt="A blue lamp"' in figure, figure

    # Opened again, the stored figure is an image in the editor, and saving keeps it as it was
    # (Trix may tidy the text around it: a no-break space, a last <br>).
    browser.get(f"{live_server.url}/admin/content/article/{article.pk}/change/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "trix-editor figure img")))
    browser.find_element(By.CSS_SELECTOR, "select[name=status] option[value=published]").click()
    browser.find_element(By.NAME, "_save").click()
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messagelist"), "changed"))
    published = Article.objects.get(pk=article.pk)
    assert published.status == Article.Status.PUBLISHED
    assert figure in published.body, published.body
    assert "<strong>blue</strong>" in published.body
    assert not console_problems(browser)

    browser.get(f"{live_server.url}/articles/{article.slug}/")
    image = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".body figure img")))
    wait.until(lambda d: d.execute_script("return arguments[0].complete", image))
    snap(browser, "editor-3-public")
    # A 960 px column at 1280 px wide and density 1: the 960 px rendition.
    assert browser.execute_script("return arguments[0].naturalWidth", image) == 960
    assert browser.execute_script("return arguments[0].currentSrc", image).endswith(rendition_960)
    assert image.get_attribute("alt") == "A blue lamp"
    assert not console_problems(browser)
