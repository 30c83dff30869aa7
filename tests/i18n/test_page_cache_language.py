"""The page cache never mixes languages (the lead's filamenta/caching.py change, EDGE_SPEC).

Fails until the page-cache key carries the language and hits replay Content-Language
and Vary: Accept-Language, Cookie.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

FRENCH_WORD = "Accueil"


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


def test_the_same_article_in_french_then_english_then_french(client, make_article):
    article = make_article("Cached", language="en")
    url = article.get_absolute_url()
    seen = []
    for language in ("fr", "en", "fr", "en"):
        response = client.get(url, headers={"accept-language": language})
        assert response.status_code == 200
        page = response.content.decode()
        seen.append(response.headers.get("X-Page-Cache"))
        assert response.headers["Content-Language"] == language
        assert f'<html lang="{language}">' in page
        assert (FRENCH_WORD in page) == (language == "fr")
        assert {"accept-language", "cookie"} <= vary(response)
    # The first of each language is a miss, the second a hit from its own entry.
    assert seen == ["miss", "miss", "hit", "hit"]
