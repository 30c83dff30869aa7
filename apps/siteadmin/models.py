"""Audit history and site settings.

``AuditEntry`` is the record: who (and their name at the time), what, on
which object, from which IP and browser. It holds the object itself
(content type, id, name) because Django's ``LogEntry``, which the services
still write beside it, is deleted with the person who acted
(``LogEntry.user`` cascades): every object's History page reads the history
entries instead (``apps/siteadmin/history.py``), so deleting a person takes
nothing away from it. Sign-ins, failed sign-ins and sign-outs have no object.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        DELETED = "deleted", _("Deleted")
        PUBLISHED = "published", _("Published")
        SETTINGS = "settings", _("Settings changed")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOGOUT = "logout", _("Logged out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset requested")
        TWO_FACTOR_ADDED = "two_factor_added", _("Two-factor set up")
        TWO_FACTOR_FAILED = "two_factor_failed", _("Two-factor code refused")
        TWO_FACTOR_BACKUP_USED = "two_factor_backup_used", _("Backup code used")
        TWO_FACTOR_BACKUP_RENEWED = "two_factor_backup_renewed", _("Backup codes renewed")
        TWO_FACTOR_REMOVED = "two_factor_removed", _("Two-factor removed")
        BACKUP_DOWNLOADED = "backup_downloaded", _("Backup downloaded")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name at the time, kept when the account is deleted; for a failed
    # sign-in, the name that was tried.
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    log_entry = models.OneToOneField(
        LogEntry,
        verbose_name=_("log entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit",
        help_text=_("Django's record of the change: object, content type and message."),
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # The object acted on, as LogEntry holds it, but kept whoever is deleted.
    # PROTECT: removing a stale content type must not quietly cut history off it.
    content_type = models.ForeignKey(
        ContentType,
        verbose_name=_("content type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_id = models.CharField(_("object id"), max_length=255, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The act in the words of the object's History page ("Changed Title.").
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history entries")
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["action", "-created_at"], name="audit_action_created"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_created"),
            models.Index(fields=["ip", "-created_at"], name="audit_ip_created"),
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.summary}" if self.summary else self.action


class SiteSettings(models.Model):
    """The one row of settings a site owner edits in the admin (primary key 1)."""

    site_name = models.CharField(_("site name"), max_length=100, default="Filamenta")
    tagline = models.CharField(
        _("tagline"), max_length=200, blank=True, default="Notes, pages and posts"
    )
    contact_email = models.EmailField(_("contact address"), blank=True)
    items_per_page = models.PositiveSmallIntegerField(
        _("items per page"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Articles per page in lists (1 to 100)."),
    )
    feed_items = models.PositiveSmallIntegerField(
        _("feed items"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Entries in the RSS feed (1 to 100)."),
    )
    # Images in article bodies load from the reader's browser: one from another
    # host tells it who reads what and can change under us (apps/content/sanitize.py).
    allow_external_images = models.BooleanField(
        _("allow images from other sites"),
        default=False,
        help_text=_(
            "Keep images from other sites in article bodies when they are saved. "
            "Off: only images of the media library are kept."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        permissions = [
            ("view_operations", "Can view the operations page"),
            # The archive holds every password hash and two-factor secret.
            ("download_backup", "Can download a backup of the whole site"),
        ]

    def __str__(self) -> str:
        return self.site_name

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
