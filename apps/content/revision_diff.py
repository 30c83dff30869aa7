"""What changed between two revisions of an article, field by field, for the admin.

Plain values (no query: the revisions come with their section and picture),
and the body as a line diff of its HTML. A body from the editor is often one
long line, so it is first cut before each block element (and after each
``<br>``): one paragraph, heading or list item per line reads like a text
diff. The template escapes every value; nothing here is marked safe.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .models import Article, ArticleRevision

CONTEXT_LINES = 3
_BLOCK_START = re.compile(
    r"(?=<(?:p|div|h[1-6]|li|ul|ol|blockquote|pre|figure|figcaption|table|tr|hr)\b)|(?<=<br>)",
    re.IGNORECASE,
)
# (field, label) in the order the change form shows them; the body last, being the longest.
FIELDS = (
    ("title", _("Title")),
    ("slug", _("Slug")),
    ("kind", _("Kind")),
    ("section", _("Section")),
    ("tags", _("Tags")),
    ("featured_image", _("Featured image")),
    ("status", _("Status")),
    ("published_at", _("Publish at")),
    ("unpublish_at", _("Unpublish at")),
    ("meta_description", _("Meta description")),
    ("body", _("Body")),
)
NONE = "—"


@dataclass(frozen=True)
class DiffLine:
    """One line of a body diff: ``equal``, ``delete``, ``insert`` or ``skip`` (lines left out)."""

    kind: str
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    old: str
    new: str
    changed: bool
    lines: list[DiffLine] = field(default_factory=list)


def body_lines(html: str | None) -> list[str]:
    """The body's HTML, one block element per line, blank lines dropped."""
    lines: list[str] = []
    for line in (html or "").splitlines():
        lines += [part.strip() for part in _BLOCK_START.split(line) if part.strip()]
    return lines


def line_diff(old: list[str], new: list[str], *, context: int = CONTEXT_LINES) -> list[DiffLine]:
    """The changed lines with ``context`` lines around them; unchanged runs become one ``skip``."""
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    rows: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        if rows or group[0][1] > 0:
            rows.append(DiffLine("skip", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [DiffLine("equal", i + 1, j1 + i - i1 + 1, old[i]) for i in range(i1, i2)]
                continue
            rows += [DiffLine("delete", i + 1, None, old[i]) for i in range(i1, i2)]
            rows += [DiffLine("insert", None, j + 1, new[j]) for j in range(j1, j2)]
    return rows


def _when(value: datetime | None) -> str:
    return formats.localize(timezone.localtime(value)) if value else NONE


def _named(kept: object | None, name: str) -> str:
    """A section or picture as the revision named it, and whether it is gone since."""
    if not name:
        return NONE
    return name if kept is not None else str(_("%(name)s (deleted)") % {"name": name})


def field_value(revision: ArticleRevision, name: str) -> str:
    """The text the admin shows for one field of a revision."""
    if name == "section":
        return _named(revision.section_id, revision.section_name)
    if name == "featured_image":
        return _named(revision.featured_image_id, revision.featured_image_title)
    if name == "tags":
        return ", ".join(revision.tags or []) or NONE
    if name == "kind":
        return str(dict(Article.Kind.choices).get(revision.kind, revision.kind))
    if name == "status":
        return str(dict(Article.Status.choices).get(revision.status, revision.status))
    if name in ("published_at", "unpublish_at"):
        return _when(getattr(revision, name))
    return getattr(revision, name) or ""


def _key(revision: ArticleRevision | None, name: str) -> object:
    """What "changed" compares: the id and the name kept for a section or picture."""
    if revision is None:
        return None
    if name == "section":
        return (revision.section_id, revision.section_name)
    if name == "featured_image":
        return (revision.featured_image_id, revision.featured_image_title)
    return getattr(revision, name)


def revisions_compare(old: ArticleRevision | None, new: ArticleRevision) -> list[FieldDiff]:
    """Each field of ``new`` against ``old`` (None: the first revision, everything new)."""
    diffs = []
    for name, label in FIELDS:
        before = field_value(old, name) if old is not None else ""
        after = field_value(new, name)
        changed = _key(old, name) != _key(new, name)
        lines = []
        if name == "body" and changed:
            lines = line_diff(body_lines(old.body if old else ""), body_lines(new.body))
        diffs.append(FieldDiff(name, label, before, after, changed, lines))
    return diffs
