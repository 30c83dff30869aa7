"""What the site publishes: pages, articles and posts, in one table.

One model with a ``kind`` keeps every public query (lists, feed, sitemap) on
one indexed table, the way the original design stored all its content.

Writes go through ``apps.content.services`` (sanitising, history, cache
invalidation live there, once for every way in); reads through
``Article.objects.published()`` / ``.public()`` and the selectors.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase


def _live(now: datetime | None) -> Q:
    """Published, its time come and not yet gone: what "published" means at ``now``.

    Scheduling is the publication time itself (``published_at`` in the future),
    as in WordPress, so no job has to flip a status when the time comes: every
    read asks the clock. ``unpublish_at`` ends it the same way.
    """
    now = now or timezone.now()
    return Q(status=Article.Status.PUBLISHED, published_at__lte=now) & (
        Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now)
    )


class ArticleQuerySet(models.QuerySet):
    def published(self, *, now: datetime | None = None) -> ArticleQuerySet:
        """What visitors see listed: published items whose time has come, not archived ones."""
        return self.filter(_live(now))

    def public(self, *, now: datetime | None = None) -> ArticleQuerySet:
        """What has a public address: live published items and archived ones, never drafts."""
        return self.filter(_live(now) | Q(status=Article.Status.ARCHIVED))

    def scheduled(self, *, now: datetime | None = None) -> ArticleQuerySet:
        """Published items whose publication time is still to come."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__gt=now or timezone.now())


class Section(models.Model):
    """Where an article belongs on the site (at most one), managed by editors.

    The slug is set once, from the name, and kept when the name changes: a
    section's address and feed must not move under readers and search engines.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("The section's address: /sections/<slug>/. Kept when the name changes."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("Plain text, shown on the section's page.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("content:section_detail", kwargs={"slug": self.slug})


class TaggedArticle(TaggedItemBase):
    """One tag on one article: taggit's through table with a real foreign key.

    taggit's default relation is generic (content type and object id, no
    foreign key); a table of our own keeps tag pages on two indexed joins and
    lets the database delete an article's tags with it.
    """

    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_items"
    )

    class Meta:
        verbose_name = _("article tag")
        verbose_name_plural = _("article tags")
        constraints = [
            models.UniqueConstraint(fields=["tag", "content_object"], name="content_tagged_unique")
        ]


def article_default_language() -> str:
    """The site's language when the article was written (a callable, so that a
    change of DJANGO_LANGUAGE_CODE needs no migration)."""
    return settings.LANGUAGE_CODE


class Article(models.Model):
    class Kind(models.TextChoices):
        PAGE = "page", _("Page")
        ARTICLE = "article", _("Article")
        POST = "post", _("Post")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The last part of the address: letters, digits, hyphens and underscores."),
    )
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_("HTML; scripts, event handlers and unsafe links are removed on save."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ARTICLE)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # Content outlives its author: deleting an account keeps what they wrote.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    published_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        help_text=_(
            "When it appears. A time in the future schedules a published item: it "
            "stays hidden until then, then appears on its own."
        ),
    )
    unpublish_at = models.DateTimeField(
        _("unpublish at"),
        null=True,
        blank=True,
        help_text=_("Optional: when a published item disappears again."),
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = TaggableManager(verbose_name=_("tags"), through=TaggedArticle, blank=True)
    # The language the text is written in, whatever the interface language.
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=article_default_language,
    )
    # A translation points at its original; the article pages link them with hreflang.
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        help_text=_("The article this one translates, if any."),
    )
    meta_description = models.CharField(
        _("meta description"),
        max_length=300,
        blank=True,
        help_text=_("For search engines and shared links; the start of the text when empty."),
    )
    # The body without its markup, kept by the services on every write: what
    # search indexes (each database's full-text engine), never rebuilt by a job.
    search_text = models.TextField(blank=True, default="", editable=False)
    # PROTECT: an image shown as an article's picture cannot vanish under it
    # (media_delete says where it is used before the database has to refuse).
    featured_image = models.ForeignKey(
        "media.MediaItem",
        verbose_name=_("featured image"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="featured_in",
        limit_choices_to={"kind": "image"},
        help_text=_("Shown in lists, at the top of the article, in the feed and when shared."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-id")
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            # Home, list, feed and sitemap: published items, newest first.
            models.Index(fields=["status", "-published_at"], name="content_status_published"),
            models.Index(
                fields=["kind", "status", "-published_at"], name="content_kind_status_published"
            ),
            # The admin's "my articles" view for authors.
            models.Index(fields=["author", "-updated_at"], name="content_author_updated"),
            # A section's page: its published items, newest first.
            models.Index(
                fields=["section", "status", "-published_at"], name="content_section_published"
            ),
            # The next scheduled end of publication (the page cache's lifetime).
            models.Index(fields=["unpublish_at"], name="content_unpublish_at"),
        ]
        permissions = [("publish_article", "Can publish and archive articles")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:article_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.unpublish_at and self.published_at and self.unpublish_at <= self.published_at:
            raise ValidationError(
                {
                    "unpublish_at": ValidationError(
                        _("The item must be unpublished after it is published."),
                        code="unpublish_before_publish",
                    )
                }
            )

    @property
    def is_public(self) -> bool:
        """Whether visitors may see it now: archived, or published and its time come."""
        if self.status == self.Status.ARCHIVED:
            return True
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.unpublish_at is None or self.unpublish_at > now)
        )

    @property
    def is_scheduled(self) -> bool:
        """Published, with a publication time still to come."""
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def description(self) -> str:
        """The meta description, or the start of the text (search engines, shared links)."""
        if self.meta_description:
            return self.meta_description
        words = (self.search_text or "").split()
        return " ".join(words[:30]) + (" …" if len(words) > 30 else "")


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
        verbose_name = _("article media")
        verbose_name_plural = _("article media")
        constraints = [
            models.UniqueConstraint(fields=["article", "media"], name="content_articlemedia_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article} uses {self.media}"


class ArticleRevision(models.Model):
    """What an article was after one save: written by the article services, never edited.

    A small model rather than django-reversion: its serialised versions skip
    the tag relation (a custom through table) and its revert saves rows
    directly, past the services that sanitise, audit and invalidate caches.
    A revision here is a fixed set of fields the admin can diff, and a
    restore is an ``article_update`` like any other.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(
        _("number"), help_text=_("1 for the first save, then 2, 3...")
    )
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    body = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Article.Kind.choices)
    status = models.CharField(max_length=16, choices=Article.Status.choices)
    published_at = models.DateTimeField(null=True, blank=True)
    unpublish_at = models.DateTimeField(null=True, blank=True)
    meta_description = models.CharField(max_length=300, blank=True)
    # Kept if the section or image goes; the name says what it was.
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    section_name = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True, help_text=_("Tag names, sorted."))
    featured_image = models.ForeignKey(
        "media.MediaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # As section_name: a restore can say which picture is gone, not only that one is.
    featured_image_title = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    message = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("article", "-number")
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="content_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article} · revision {self.number}"
