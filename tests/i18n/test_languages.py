"""The site in English and French: the setting, pages' lang, the switcher, articles' language."""

from __future__ import annotations

import re

import pytest

from apps.content.models import Article
from tests.conftest import run_manage

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_a_bad_language_code_stops_start_up_naming_the_variable(clean_env):
    env = clean_env | {"DJANGO_SETTINGS_MODULE": "settings.development"}
    result = run_manage("check", env=env | {"DJANGO_LANGUAGE_CODE": "de"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_LANGUAGE_CODE='de'" in result.stderr
    assert "en or fr" in result.stderr


@pytest.mark.parametrize("url", ["/", "/articles/", "/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_says_its_language(client, url, language):
    response = client.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    assert html_lang(response) == language
    assert response.headers["Content-Language"] == language


def test_the_french_sign_in_page_is_french(client):
    page = client.get("/accounts/login/", headers={"accept-language": "fr"}).content.decode()
    assert "Se connecter" in page
    assert "Mot de passe oublié ?" in page


def test_the_footer_switcher_sets_the_cookie_and_the_next_page_is_french(client):
    home = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in home
    assert 'name="language"' in home
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/articles/"})
    assert response.status_code == 302
    assert response.url == "/articles/"
    assert response.cookies["django_language"].value == "fr"
    page = client.get("/articles/")
    assert html_lang(page) == "fr"
    assert "Accueil" in page.content.decode()


def test_the_admin_follows_the_reader_s_language(client, editor):
    client.force_login(editor)
    page = client.get("/admin/", headers={"accept-language": "fr"})
    assert html_lang(page) == "fr"
    assert "Administration" in page.content.decode()


def test_model_verbose_names_are_translated():
    from django.utils import translation

    with translation.override("fr"):
        assert str(Article._meta.get_field("language").verbose_name) == "langue"
        assert str(Article._meta.get_field("translation_of").verbose_name) == "traduction de"


def test_an_article_s_language_through_the_service_and_its_hreflang_links(client, make_article):
    original = make_article("Hello", language="en")
    assert original.language == "en"
    french = make_article("Bonjour", language="fr", translation_of=original)
    assert Article.objects.get(pk=french.pk).language == "fr"

    page = client.get(french.get_absolute_url(), headers={"accept-language": "en"}).content.decode()
    assert '<div class="body" lang="fr">' in page
    assert re.search(r'<link rel="alternate" hreflang="en" href="[^"]*/articles/hello/">', page)
    assert re.search(r'<link rel="alternate" hreflang="fr" href="[^"]*/articles/bonjour/">', page)

    alone = make_article("Alone", language="en")
    page = client.get(alone.get_absolute_url(), headers={"accept-language": "en"}).content.decode()
    assert "hreflang" not in page
    assert '<div class="body">' in page
