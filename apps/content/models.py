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
    # PROTECT: an image shown as an article's picture cannot vanish under it
    # (media_delete says where it is used before the database has to refuse).
    featured_image = models.ForeignKey(
        "media.MediaItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="featured_in",
        limit_choices_to={"kind": "image"},
        help_text="Shown in lists, at the top of the article, in the feed and when shared.",
    )
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


class ArticleMedia(models.Model):
    """One article's use of one media item: in its body or as its featured image.

    Rewritten by the article services on every write, from the body's own
    ``<img src>`` and ``<a href>`` and the featured image, so the library can
    say where an item is used without parsing every article. PROTECT, like
    ``featured_image``: the database keeps an item some article shows.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="media_links")
    media = models.ForeignKey("media.MediaItem", on_delete=models.PROTECT, related_name="used_in")

    class Meta:
        verbose_name = "article media"
        verbose_name_plural = "article media"
        constraints = [
            models.UniqueConstraint(fields=["article", "media"], name="content_articlemedia_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article} uses {self.media}"
