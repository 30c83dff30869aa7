"""sitemap.xml: the public pages and every published item."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .selectors import SitemapEntry, article_list_sitemap, taxonomy_list_sitemap


class StaticViewSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["content:home", "content:article_list"]

    def location(self, item: str) -> str:
        return reverse(item)


class ArticleSitemap(Sitemap):
    """Every published item; one in several languages lists them all (hreflang alternates).

    Django's own ``i18n``/``alternates`` are for URL patterns per language; an
    article's translations are other articles, so their links are added here to
    what the stock template already renders as ``<xhtml:link rel="alternate">``.
    """

    changefreq = "weekly"
    # The protocol's own ceiling per file; beyond it Django paginates (?p=2).
    limit = 50_000

    def items(self) -> list[SitemapEntry]:
        return article_list_sitemap()

    def location(self, item: SitemapEntry) -> str:
        return _article_path(item.slug)

    def lastmod(self, item: SitemapEntry) -> datetime:
        return item.updated_at

    def get_urls(self, page: int | str = 1, site=None, protocol: str | None = None) -> list[dict]:
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            entry: SitemapEntry = url["item"]
            origin = url["location"].removesuffix(_article_path(entry.slug))
            url["alternates"] = [
                {"lang_code": language, "location": origin + _article_path(slug)}
                for language, slug in entry.alternates
            ]
        return urls


def _article_path(slug: str) -> str:
    return reverse("content:article_detail", kwargs={"slug": slug})


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
