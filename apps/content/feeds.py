"""The RSS feed of the newest articles and posts."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse

from apps.siteadmin.models import SiteSettings
from apps.siteadmin.selectors import site_settings_get

from .models import Article
from .selectors import article_list_latest


class LatestArticlesFeed(Feed):
    # One Feed instance serves every request (and thread): per-request data
    # travels as the "object" Django hands to each method, never on self.
    def get_object(self, request: HttpRequest, *args, **kwargs) -> SiteSettings:
        return site_settings_get()

    def title(self, obj: SiteSettings) -> str:
        return obj.site_name

    def description(self, obj: SiteSettings) -> str:
        return obj.tagline

    def link(self) -> str:
        return reverse("content:home")

    def items(self, obj: SiteSettings) -> list[Article]:
        return article_list_latest(limit=obj.feed_items)

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        # Already sanitised on save; feed readers render it as HTML.
        return item.body

    def item_pubdate(self, item: Article) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Article) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Article) -> str | None:
        return str(item.author) if item.author else None
