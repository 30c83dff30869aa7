"""Backups for those without a terminal, and kept backups for cron.

- The operations page offers a fresh backup to download (``backup_download``):
  the archive of ``site_export``, streamed from ``archive_chunks`` as it is
  made, never built in memory or on the host's disk (a shared account's quota
  is often smaller than twice the site). It holds every account's password
  hash and two-factor secret, so it takes its own permission and the
  current password, counted like a sign-in, and each download is in the history.
- ``backup_rotate`` writes one dated archive into a folder and keeps the newest
  N (``manage.py site_export --rotate DIR --keep N``, from cPanel's Cron Jobs
  page or the systemd timer in deploy/vps/).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from apps.users.throttle import CURRENT_PASSWORD_RULES, throttle_check, too_many_requests

from .models import AuditEntry
from .selectors import site_settings_get
from .services import history_record

logger = logging.getLogger("filamenta.backups")

BACKUP_PERMISSION = "siteadmin.download_backup"
# What rotation writes and, so, the only files it ever deletes.
BACKUP_NAME = re.compile(r"^site-\d{8}-\d{6}Z\.zip$")


def backup_name(*, now: datetime | None = None, prefix: str = "site") -> str:
    """``site-20261202-064800Z.zip``: sorts by time, says it is UTC."""
    now = now or datetime.now(UTC)
    return f"{prefix}-{now.astimezone(UTC):%Y%m%d-%H%M%S}Z.zip"


def backup_rotate(
    *, directory: Path, keep: int, include_sessions: bool = False, progress=None
) -> tuple[Path, list[Path]]:
    """Write a new archive into ``directory`` and delete the oldest beyond ``keep``.

    Only files named as this function names them are counted and deleted:
    whatever else the folder holds is the operator's. The new archive is
    written first, so a failed export deletes nothing.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    from .site_archive import site_export

    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / backup_name()
    site_export(path=path, include_sessions=include_sessions, progress=progress)
    ours = sorted(p for p in directory.iterdir() if p.is_file() and BACKUP_NAME.match(p.name))
    removed = ours[:-keep]
    for old in removed:
        old.unlink(missing_ok=True)
    return path, removed


class BackupForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=gettext_lazy(
            "A backup holds every account's password hash and two-factor secret."
        ),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="password_incorrect")
        return password


def _chunks_logged(chunks: Iterator[bytes], *, who: str) -> Iterator[bytes]:
    """The archive's chunks; a failure half-way is logged (the download is then short).

    The status line has left by then: the reader's file is truncated, which
    ``site_import`` refuses by its checksums, and the log says why.
    """
    try:
        yield from chunks
    except Exception:
        logger.exception("The backup download for %s stopped half-way", who)
        raise


@never_cache
def backup_download(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation page. POST with the current password: the archive, streamed."""
    if not request.user.has_perm(BACKUP_PERMISSION):
        raise PermissionDenied
    if wait := throttle_check(request=request, rules=CURRENT_PASSWORD_RULES):
        return too_many_requests(request, retry_after=wait)
    form = BackupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        from .site_archive import archive_chunks

        name = backup_name(prefix=slugify(site_settings_get().site_name) or "site")
        history_record(
            action=AuditEntry.Action.BACKUP_DOWNLOADED,
            actor=request.user,
            message=f"Downloaded a backup of the whole site ({name}).",
        )
        response = StreamingHttpResponse(
            _chunks_logged(archive_chunks(), who=request.user.get_username()),
            content_type="application/zip",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        # nginx would otherwise hold the stream in its buffers (and on disk).
        response["X-Accel-Buffering"] = "no"
        return response
    context = {**admin.site.each_context(request), "title": _("Download a backup"), "form": form}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "siteadmin/backup.html", context, status=status)
