"""The RSS feed of the newest articles and posts."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.http import HttpRequest
from django.urls import reverse
from django.utils import feedgenerator

from apps.media.body_urls import media_urls_current
from apps.media.renditions import rendition_pick
from apps.siteadmin.models import SiteSettings
from apps.siteadmin.selectors import site_settings_get

from .models import Article
from .selectors import article_list_latest

ENCLOSURE_WIDTH = 960


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
        # Already sanitised on save; feed readers render it as HTML, media at today's URLs.
        return media_urls_current(item.body)

    def item_pubdate(self, item: Article) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Article) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Article) -> str | None:
        return str(item.author) if item.author else None

    def item_enclosures(self, item: Article) -> list[feedgenerator.Enclosure]:
        """The featured image, in its own format at 960 px (readers seldom take WebP)."""
        image = item.featured_image
        if image is None or not image.is_image:
            return []
        picked = rendition_pick(item=image, width=ENCLOSURE_WIDTH)
        url, size, content_type = (
            (picked.file.url, picked.size, picked.content_type)
            if picked is not None
            else (image.file.url, image.size, image.content_type)
        )
        return [feedgenerator.Enclosure(url=url, length=str(size), mime_type=content_type)]

    def get_feed(self, obj: SiteSettings, request: HttpRequest) -> feedgenerator.SyndicationFeed:
        # Django puts the site's domain on links but not on enclosures, whose
        # URL RSS requires absolute; an object store's absolute URL stays as it is.
        feed = super().get_feed(obj, request)
        domain, secure = get_current_site(request).domain, request.is_secure()
        for entry in feed.items:
            for enclosure in entry["enclosures"]:
                enclosure.url = add_domain(domain, enclosure.url, secure)
        return feed
