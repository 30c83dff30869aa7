"""The RSS feeds: the newest articles and posts, and each section's and tag's newest items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import feedgenerator
from django.utils.translation import gettext as _

from apps.media.body_urls import media_urls_current
from apps.media.renditions import rendition_pick
from apps.siteadmin.selectors import site_settings_get

from .models import Article
from .selectors import TermPage, article_list_latest, section_get_page, tag_get_page

ENCLOSURE_WIDTH = 960


class LanguageRssFeed(feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with each item's language as ``<dc:language>``.

    RSS has one ``<language>`` per channel; a bilingual site's feed mixes
    articles in both, so each item also says its own (Dublin Core, which feed
    readers know), and the channel says the site's language, not the reader's.
    """

    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:dc": "http://purl.org/dc/elements/1.1/"}

    def add_item_elements(self, handler, item: dict) -> None:
        super().add_item_elements(handler, item)
        if item.get("language"):
            handler.addQuickElement("dc:language", item["language"])


@dataclass(frozen=True)
class FeedChannel:
    """What one feed shows: the site's newest items, or a section's, or a tag's."""

    title: str
    description: str
    link: str
    items: list[Article]


class LatestArticlesFeed(Feed):
    """The site's newest items; the section and tag feeds below change only the channel."""

    feed_type = LanguageRssFeed

    # One Feed instance serves every request (and thread): per-request data
    # travels as the "object" Django hands to each method, never on self.
    def get_object(self, request: HttpRequest, *args, **kwargs) -> FeedChannel:
        site = site_settings_get()
        return FeedChannel(
            title=site.site_name,
            description=site.tagline,
            link=reverse("content:home"),
            items=article_list_latest(limit=site.feed_items),
        )

    def title(self, obj: FeedChannel) -> str:
        return obj.title

    def description(self, obj: FeedChannel) -> str:
        return obj.description

    def link(self, obj: FeedChannel) -> str:
        return obj.link

    def items(self, obj: FeedChannel) -> list[Article]:
        return obj.items

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

    def item_extra_kwargs(self, item: Article) -> dict[str, str]:
        return {"language": item.language}

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

    def get_feed(self, obj: FeedChannel, request: HttpRequest) -> feedgenerator.SyndicationFeed:
        # Django puts the site's domain on links but not on enclosures, whose
        # URL RSS requires absolute; an object store's absolute URL stays as it is.
        feed = super().get_feed(obj, request)
        # Django's default is the reader's interface language (get_language()).
        feed.feed["language"] = settings.LANGUAGE_CODE
        domain, secure = get_current_site(request).domain, request.is_secure()
        for entry in feed.items:
            for enclosure in entry["enclosures"]:
                enclosure.url = add_domain(domain, enclosure.url, secure)
        return feed


def _term_channel(found: TermPage, *, title: str, description: str, link: str) -> FeedChannel:
    site = site_settings_get()
    return FeedChannel(
        title=f"{title} · {site.site_name}",
        description=description or site.tagline,
        link=link,
        items=found.page.items if found.page is not None else [],
    )


class SectionFeed(LatestArticlesFeed):
    """A section's newest published items (the feed of /sections/<slug>/)."""

    def get_object(self, request: HttpRequest, *args, slug: str, **kwargs) -> FeedChannel:
        found = section_get_page(slug=slug, number=1, per_page=site_settings_get().feed_items)
        if found is None:
            raise Http404("No section at this address.")
        section = found.term
        return _term_channel(
            found,
            title=section.name,
            description=section.description,
            link=section.get_absolute_url(),
        )


class TagFeed(LatestArticlesFeed):
    """The newest published items with a tag (the feed of /tags/<slug>/): 404 like its page."""

    def get_object(self, request: HttpRequest, *args, slug: str, **kwargs) -> FeedChannel:
        found = tag_get_page(slug=slug, number=1, per_page=site_settings_get().feed_items)
        if found is None or found.page is None or not found.page.count:
            raise Http404("No tag at this address.")
        tag = found.term
        return _term_channel(
            found,
            # In the reader's language, as the feed's <language> (Django's get_language()).
            title=_("Tagged “%(name)s”") % {"name": tag.name},
            description="",
            link=reverse("content:tag_detail", kwargs={"slug": tag.slug}),
        )
