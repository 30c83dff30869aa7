"""Finding article pages in the sitemap and tokens in forms, as the load generators do."""

import pytest

from bench.pages import admin_links, article_paths_from_sitemap, csrf_token

SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://127.0.0.1:8000/articles/first/</loc></url>
<url><loc>http://127.0.0.1:8000/about/</loc></url>
<url><loc>http://127.0.0.1:8000/site/articles/second/</loc></url>
</urlset>"""


def test_article_paths_from_sitemap_keeps_articles_in_order():
    assert article_paths_from_sitemap(SITEMAP) == ["/articles/first/", "/site/articles/second/"]


def test_csrf_token_is_read_from_the_form():
    html = '<form><input type="hidden" name="csrfmiddlewaretoken" value="abc123"></form>'

    assert csrf_token(html) == "abc123"
    with pytest.raises(ValueError, match="csrfmiddlewaretoken"):
        csrf_token("<form></form>")


def test_admin_links_match_once_each():
    html = (
        '<a href="/admin/content/article/3/change/">x</a><a href="/admin/">y</a>'
        '<a href="/admin/content/article/3/change/">x</a>'
        '<a href="/admin/content/article/4/change/">'
    )

    assert admin_links(html, pattern=r"/article/\d+/change/") == [
        "/admin/content/article/3/change/",
        "/admin/content/article/4/change/",
    ]


def test_section_and_tag_paths_are_found_in_the_sitemap():
    from bench.pages import SECTION_PATH, TAG_PATH, paths_from_sitemap

    sitemap = SITEMAP.replace(
        "</urlset>",
        "<url><loc>http://127.0.0.1:8000/sections/lamps/</loc></url>"
        "<url><loc>http://127.0.0.1:8000/tags/%E6%97%A5%E6%9C%AC/</loc></url></urlset>",
    )

    assert paths_from_sitemap(sitemap, pattern=SECTION_PATH) == ["/sections/lamps/"]
    assert paths_from_sitemap(sitemap, pattern=TAG_PATH) == ["/tags/%E6%97%A5%E6%9C%AC/"]
