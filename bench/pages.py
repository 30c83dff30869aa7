"""Finding the pages to load from the site itself, so the benchmark needs no model import.

The sitemap lists every published article, and the sections and tags in use;
the admin's own links lead an editor to its change forms. Both are plain
HTML/XML, read with the standard library.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from xml.etree import ElementTree

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ARTICLE_PATH = re.compile(r"^(?:/[^/]+)*/articles/[^/]+/$")
SECTION_PATH = re.compile(r"^(?:/[^/]+)*/sections/[^/]+/$")
TAG_PATH = re.compile(r"^(?:/[^/]+)*/tags/[^/]+/$")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def paths_from_sitemap(xml: str, *, pattern: re.Pattern[str] = ARTICLE_PATH) -> list[str]:
    """Paths a sitemap lists that match ``pattern``, in its order (the site's own URLs)."""
    root = ElementTree.fromstring(xml)  # noqa: S314 - our own site's sitemap, on loopback
    paths = (urlsplit(loc.text or "").path for loc in root.iter(f"{SITEMAP_NS}loc"))
    return [path for path in paths if pattern.match(path)]


def article_paths_from_sitemap(xml: str) -> list[str]:
    """Paths of the article pages a sitemap lists, in its order (the site's own URLs)."""
    return paths_from_sitemap(xml, pattern=ARTICLE_PATH)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page; a page without one is a bug here."""
    match = CSRF_TOKEN.search(html)
    if match is None:
        raise ValueError("the page has no csrfmiddlewaretoken field")
    return match.group(1)


def admin_links(html: str, *, pattern: str) -> list[str]:
    """Hrefs on an admin page that match ``pattern``, first occurrence order, no duplicates."""
    links = re.findall(r'href="([^"]+)"', html)
    return list(dict.fromkeys(link for link in links if re.search(pattern, link)))
