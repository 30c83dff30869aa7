"""site_export / site_import on the suite's own database: what is carried, and every bad input.

The round trips between vendors (another database, another process) are in
test_site_archive_vendors.py; here the archive comes back into the database
it left (``replace``), which is enough for what is checked and refused.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from apps.siteadmin import site_archive
from apps.siteadmin.models import AuditEntry
from apps.siteadmin.site_archive import (
    EXCLUDED,
    FORMAT_VERSION,
    ArchiveError,
    archive_chunks,
    archive_plan,
    exported_models,
    read_manifest,
    site_contents,
    site_export,
    site_import,
    site_is_empty,
)

from .archive_helpers import (
    MOVER,
    MOVER_PASSWORD,
    fill_site,
    part_member,
    read_member,
    rewrite_archive,
)

pytestmark = [pytest.mark.database, pytest.mark.django_db]


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return root


@pytest.fixture
def filled(media_root: Path) -> Any:
    return fill_site()


@pytest.fixture
def archive(filled: Any, tmp_path: Path) -> Path:
    path = tmp_path / "site.zip"
    site_export(path=path)
    return path


def row_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._base_manager.count() for m in exported_models()}


def files_under(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


# WHAT IS CARRIED
# ------------------------------------------------------------------------------


def test_every_model_is_carried_or_excluded_with_a_reason():
    plan = archive_plan()
    models = {m._meta.label_lower for m in apps.get_models(include_auto_created=True)}

    assert set(plan) == models
    assert set(EXCLUDED) <= models, "an exclusion names a model that no longer exists"
    for label in EXCLUDED:
        assert plan[label], f"{label} is excluded without a reason"
    assert archive_plan(include_sessions=True)["sessions.session"] == ""


def test_the_fill_has_a_row_in_every_carried_model(filled):
    """A new model must get a row in fill_site (archive_helpers.py), which proves it moves."""
    empty = [
        m._meta.label_lower
        for m in exported_models(include_sessions=True)
        if not m._base_manager.exists()
    ]

    assert empty == [], f"add rows of {empty} to fill_site, or exclude them with a reason"


def test_a_freshly_migrated_site_counts_as_empty():
    """If a migration starts seeding a table, add it to SEEDED_BY_MIGRATIONS."""
    assert site_is_empty(), site_contents()


def test_the_manifest_describes_the_rows_and_files(archive, filled):
    manifest = read_manifest(path=archive)

    assert manifest.format_version == FORMAT_VERSION
    assert manifest.counts == row_counts()
    assert "sessions.session" not in manifest.counts
    assert "counters.counter" not in manifest.counts
    names = {m.name for m in manifest.media}
    assert filled.image.file.name in names
    assert {r.file.name for r in filled.image.renditions.all()} <= names
    with zipfile.ZipFile(archive) as zf:
        for media in manifest.media:
            assert hashlib.sha256(zf.read(media.member)).hexdigest() == media.sha256


def test_the_stream_is_the_file(archive, filled):
    """archive_chunks is what the operations page sends: a whole archive, chunk by chunk."""
    chunks = list(archive_chunks())

    assert len(chunks) > 1
    streamed = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert (
        json.loads(streamed.read("manifest.json"))["parts"]
        == json.loads(zipfile.ZipFile(archive).read("manifest.json"))["parts"]
    )


def test_sessions_only_when_asked(filled, tmp_path):
    site_export(path=tmp_path / "with.zip", include_sessions=True)

    assert read_manifest(path=tmp_path / "with.zip").counts["sessions.session"] == 1


# ROUND TRIP INTO THE SAME DATABASE (the vendor pairs: test_site_archive_vendors.py)
# ------------------------------------------------------------------------------


def test_replace_brings_back_every_row_password_and_file(archive, filled, settings, tmp_path):
    before = row_counts()
    entry = AuditEntry.objects.filter(object_id=str(filled.article.pk)).first()
    target_media = tmp_path / "target-media"
    settings.MEDIA_ROOT = str(target_media)

    report = site_import(path=archive, replace=True)

    assert report.loaded == report.manifest.counts == before
    assert row_counts() == before
    assert authenticate(username=MOVER, password=MOVER_PASSWORD) is not None
    moved = AuditEntry.objects.get(pk=entry.pk)
    assert moved.content_type.model_class()._meta.label_lower == "content.article"
    assert moved.object_id == str(filled.article.pk)
    assert report.media_copied == len(report.manifest.media)
    source = files_under(Path(filled.image.file.storage.location).parent / "media")
    assert files_under(target_media) == source
    with default_storage.open(filled.image.file.name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == filled.image.checksum
    assert not Session.objects.exists(), "the replaced site's sign-ins must end"


# BAD INPUT: each a clear ArchiveError, nothing changed
# ------------------------------------------------------------------------------


def test_a_truncated_archive_is_refused(archive, tmp_path):
    cut = tmp_path / "cut.zip"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    with pytest.raises(ArchiveError, match="truncated"):
        site_import(path=cut, replace=True)


def test_a_changed_part_fails_its_checksum(archive, tmp_path):
    member = part_member(archive, "content.article")
    changed = read_member(archive, member).replace(b"Boxes", b"Bombs")
    bad = tmp_path / "changed.zip"
    rewrite_archive(archive, bad, change={member: changed}, fix_checksums=False)
    before = row_counts()

    with pytest.raises(ArchiveError, match="does not match its checksum"):
        site_import(path=bad, replace=True)
    assert row_counts() == before


def test_a_newer_format_is_refused_naming_the_remedy(archive, tmp_path):
    newer = tmp_path / "newer.zip"
    rewrite_archive(archive, newer, manifest=lambda m: m.update(format_version=FORMAT_VERSION + 1))

    with pytest.raises(ArchiveError, match=r"newer release\. Upgrade this site"):
        site_import(path=newer, replace=True)


@pytest.mark.parametrize("content", [b"", b"hello, not a zip", b"\x89PNG\r\n\x1a\n" + b"0" * 99])
def test_a_file_that_is_not_an_archive_is_refused(tmp_path, content):
    path = tmp_path / "site.zip"
    path.write_bytes(content)

    with pytest.raises(ArchiveError, match="not a Filamenta site archive"):
        site_import(path=path)


def test_a_zip_without_a_manifest_is_refused(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")

    with pytest.raises(ArchiveError, match="no manifest"):
        site_import(path=path)


def test_a_missing_file_is_refused(tmp_path, archive):
    path = tmp_path / "missing.zip"

    with pytest.raises(ArchiveError, match="Cannot read"):
        site_import(path=path)


@pytest.mark.parametrize(
    "name", ["../outside.txt", "media/../../outside.txt", "{tmp}/outside.txt", "media/a/../../x"]
)
def test_member_names_outside_the_storage_are_refused_and_nothing_written(
    archive, tmp_path, settings, name
):
    name = name.format(tmp=tmp_path)
    payload = b"written outside"
    evil = tmp_path / "evil.zip"
    media_name = name.removeprefix("media/")

    def listed(manifest: dict) -> None:
        manifest["media"].append(
            {
                "name": media_name,
                "member": name,
                "size": len(payload),
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        )

    rewrite_archive(archive, evil, add={name: payload}, manifest=listed)
    target = tmp_path / "deep" / "down" / "media"
    settings.MEDIA_ROOT = str(target)
    before = {p for p in tmp_path.rglob("*")}

    with pytest.raises(ArchiveError, match="outside"):
        site_import(path=evil, replace=True)
    assert {p for p in tmp_path.rglob("*")} == before


def test_a_manifest_naming_a_file_outside_is_refused(archive, tmp_path):
    evil = tmp_path / "evil.zip"

    def renamed(manifest: dict) -> None:
        manifest["media"][0]["name"] = "../" + manifest["media"][0]["name"]

    rewrite_archive(archive, evil, manifest=renamed)

    with pytest.raises(ArchiveError, match="outside the media storage"):
        site_import(path=evil, replace=True)


def test_a_site_with_content_is_refused_without_replace(archive):
    before = row_counts()

    with pytest.raises(ArchiveError, match=r"already has content.*--replace"):
        site_import(path=archive)
    assert row_counts() == before


def test_a_failure_half_way_leaves_the_site_and_its_media_as_they_were(
    archive, filled, settings, tmp_path
):
    """A row that breaks a unique constraint in a late part: everything before it is undone."""
    member = part_member(archive, "users.user")
    rows = read_member(archive, member)
    duplicated = rows + rows.splitlines(keepends=True)[0]
    broken = tmp_path / "broken.zip"
    rewrite_archive(archive, broken, change={member: duplicated})
    target_media = tmp_path / "target-media"
    settings.MEDIA_ROOT = str(target_media)
    before = row_counts()
    titles = list(get_user_model().objects.values_list("username", flat=True))

    with pytest.raises(ArchiveError, match="Nothing was loaded"):
        site_import(path=broken, replace=True)

    assert row_counts() == before
    assert list(get_user_model().objects.values_list("username", flat=True)) == titles
    assert files_under(target_media) == {}, "copied media must be removed again"


def test_rows_that_do_not_hold_together_are_refused(archive, tmp_path, settings):
    """An article whose author is not in the archive: caught by the final constraint check."""
    member = part_member(archive, "content.article")
    lines = read_member(archive, member).splitlines()
    row = json.loads(lines[0])
    row["fields"]["author"] = 987654
    broken = tmp_path / "dangling.zip"
    rewrite_archive(archive, broken, change={member: b"\n".join([json.dumps(row).encode()])})
    settings.MEDIA_ROOT = str(tmp_path / "target-media")
    before = row_counts()

    with pytest.raises(ArchiveError, match="Nothing was loaded"):
        site_import(path=broken, replace=True)
    assert row_counts() == before


# EXPORT FAILURES
# ------------------------------------------------------------------------------


class FullDisk:
    """A file that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, handle: Any, room: int) -> None:
        self.handle, self.room = handle, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.handle.close()


def test_a_full_disk_during_export_removes_the_partial_file(filled, tmp_path, monkeypatch):
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        site_archive.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode), 20_000)
    )

    with pytest.raises(ArchiveError, match="the disk is full; the partial file was removed"):
        site_export(path=tmp_path / "site.zip")
    assert list(tmp_path.glob("*.zip*")) == []
    assert list(tmp_path.glob(".site.zip*")) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """A real 8 KiB file system (tmpfs), where root may mount one; skipped elsewhere."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def test_a_real_full_disk_through_the_command(filled, small_disk):
    with pytest.raises(CommandError, match="the disk is full; the partial file was removed"):
        call_command("site_export", str(small_disk / "site.zip"))
    assert list(small_disk.iterdir()) == []


def test_export_to_a_missing_folder_says_so(filled, tmp_path):
    with pytest.raises(ArchiveError, match="does not exist"):
        site_export(path=tmp_path / "nowhere" / "site.zip")


# THE COMMANDS
# ------------------------------------------------------------------------------


def test_the_commands_report_and_refuse_with_a_message(archive, tmp_path, monkeypatch, capsys):
    not_zip = tmp_path / "notes.txt"
    not_zip.write_text("hello")
    with pytest.raises(CommandError, match="not a Filamenta site archive"):
        call_command("site_import", str(not_zip))

    with pytest.raises(CommandError, match="already has content"):
        call_command("site_import", str(archive))

    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    with pytest.raises(CommandError, match=r"without confirmation.*--yes"):
        call_command("site_import", str(archive), "--replace")
    assert "--replace deletes this site's content first" in capsys.readouterr().out


def test_replace_with_yes_prints_counts_beside_the_manifests(archive, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "target-media")
    out = io.StringIO()

    call_command("site_import", str(archive), "--replace", "--yes", stdout=out)

    text = out.getvalue()
    assert "content.article" in text
    assert "<- differs" not in text
    assert "Imported" in text


def test_a_full_media_disk_during_import_leaves_the_site_as_it_was(archive, settings, small_disk):
    settings.MEDIA_ROOT = str(small_disk)
    before = row_counts()

    with pytest.raises(ArchiveError, match=r"No space left on device.*the site is as it was"):
        site_import(path=archive, replace=True)
    assert row_counts() == before
    assert [p for p in small_disk.rglob("*") if p.is_file()] == []


def test_a_member_given_twice_is_refused(archive, tmp_path):
    """A zip may hold one name twice: the checksum would read one copy, the loader the other."""
    member = part_member(archive, "content.article")
    twice = tmp_path / "twice.zip"
    rewrite_archive(archive, twice)
    with (
        pytest.warns(UserWarning, match="Duplicate name"),
        zipfile.ZipFile(twice, "a") as zf,
    ):
        zf.writestr(member, b"{}")

    with pytest.raises(ArchiveError, match="twice"):
        site_import(path=twice, replace=True)
