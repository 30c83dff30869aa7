"""What the site publishes: pages, articles and posts, in one table.

One model with a ``kind`` keeps every public query (lists, feed, sitemap) on
one indexed table, the way the original design stored all its content.

Writes go through ``apps.content.services`` (sanitising, history, cache
invalidation live there, once for every way in); reads through
``Article.objects.published()`` / ``.public()`` and the selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class ArticleQuerySet(models.QuerySet):
    def published(self) -> ArticleQuerySet:
        """What visitors see listed: published items (archived ones keep only their address)."""
        return self.filter(status=Article.Status.PUBLISHED)

    def public(self) -> ArticleQuerySet:
        """What has a public address: published and archived items, never drafts."""
        return self.filter(status__in=(Article.Status.PUBLISHED, Article.Status.ARCHIVED))


class Article(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", "Page"
        ARTICLE = "article", "Article"
        POST = "post", "Post"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the address: letters, digits, hyphens and underscores.",
    )
    body = models.TextField(
        blank=True, help_text="HTML; scripts, event handlers and unsafe links are removed on save."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ARTICLE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Content outlives its author: deleting an account keeps what they wrote.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-id")
        indexes = [
            # Home, list, feed and sitemap: published items, newest first.
            models.Index(fields=["status", "-published_at"], name="content_status_published"),
            models.Index(
                fields=["kind", "status", "-published_at"], name="content_kind_status_published"
            ),
            # The admin's "my articles" view for authors.
            models.Index(fields=["author", "-updated_at"], name="content_author_updated"),
        ]
        permissions = [("publish_article", "Can publish and archive articles")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:article_detail", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        """Published and archived items keep their address; drafts are staff-only."""
        return self.status in (self.Status.PUBLISHED, self.Status.ARCHIVED)
