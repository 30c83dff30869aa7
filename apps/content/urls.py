from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import seo, views
from .feeds import LatestArticlesFeed
from .sitemaps import SITEMAPS

app_name = "content"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/", views.article_list, name="article_list"),
    path("articles/<slug:slug>/", views.article_detail, name="article_detail"),
    path("feed/", LatestArticlesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", seo.robots_txt, name="robots_txt"),
]
