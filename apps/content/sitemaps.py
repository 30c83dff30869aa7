"""sitemap.xml: the public pages and every published item."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .selectors import article_list_sitemap, section_list_sitemap, tag_list_sitemap


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


class SectionSitemap(ArticleSitemap):
    """Sections with a published item; lastmod is the newest change among them."""

    changefreq = "daily"

    def items(self) -> list[tuple[str, datetime]]:
        return section_list_sitemap()

    def location(self, item: tuple[str, datetime]) -> str:
        return reverse("content:section_detail", kwargs={"slug": item[0]})


class TagSitemap(ArticleSitemap):
    """Tags some published item carries; lastmod as for sections."""

    changefreq = "daily"

    def items(self) -> list[tuple[str, datetime]]:
        return tag_list_sitemap()

    def location(self, item: tuple[str, datetime]) -> str:
        return reverse("content:tag_detail", kwargs={"slug": item[0]})


SITEMAPS = {
    "static": StaticViewSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
}
