"""sitemap.xml: the public pages and every published item."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .selectors import article_list_sitemap, taxonomy_list_sitemap


class StaticViewSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["content:home", "content:article_list"]

    def location(self, item: str) -> str:
        return reverse(item)


class ArticleSitemap(Sitemap):
    changefreq = "weekly"
    # The protocol's own ceiling per file; beyond it Django paginates (?p=2).
    limit = 50_000

    def items(self) -> list[tuple[str, datetime]]:
        return article_list_sitemap()

    def location(self, item: tuple[str, datetime]) -> str:
        return reverse("content:article_detail", kwargs={"slug": item[0]})

    def lastmod(self, item: tuple[str, datetime]) -> datetime:
        return item[1]


class TaxonomySitemap(Sitemap):
    """Sections and tags with a published item; lastmod is the newest change among them."""

    changefreq = "daily"
    limit = 50_000

    def items(self) -> list[tuple[str, str, datetime]]:
        return taxonomy_list_sitemap()

    def location(self, item: tuple[str, str, datetime]) -> str:
        return reverse(item[0], kwargs={"slug": item[1]})

    def lastmod(self, item: tuple[str, str, datetime]) -> datetime:
        return item[2]


SITEMAPS = {"static": StaticViewSitemap, "articles": ArticleSitemap, "taxonomy": TaxonomySitemap}
