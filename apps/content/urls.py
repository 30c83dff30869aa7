from django.contrib.sitemaps.views import sitemap
from django.urls import path, register_converter

from . import seo, views
from .converters import UnicodeSlugConverter
from .feeds import LatestArticlesFeed, SectionFeed, TagFeed
from .sitemaps import SITEMAPS

app_name = "content"
# Tag slugs are taggit's, in any script ("日本"): see UnicodeSlugConverter.
register_converter(UnicodeSlugConverter, "unicode_slug")

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.article_list, name="article_list"),
    path("articles/<slug:slug>/", views.article_detail, name="article_detail"),
    path("feed/", LatestArticlesFeed(), name="feed"),
    path("sections/<slug:slug>/", views.section_detail, name="section_detail"),
    path("sections/<slug:slug>/feed/", SectionFeed(), name="section_feed"),
    path("tags/<unicode_slug:slug>/", views.tag_detail, name="tag_detail"),
    path("tags/<unicode_slug:slug>/feed/", TagFeed(), name="tag_feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("search/", views.search, name="search"),
    path("robots.txt", seo.robots_txt, name="robots_txt"),
]
