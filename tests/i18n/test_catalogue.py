"""The French catalogue is complete: every marked string has a reviewed translation.

``make checks`` proves the .po holds every marked string and the .mo matches it;
this proves none of them was left untranslated or fuzzy (msgfmt leaves both out
of the .mo, so a French reader would see the English text without a warning).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def po_entries(path: Path) -> list[dict[str, object]]:
    """Each entry of a .po: its flags, msgid and every msgstr (plural forms apart)."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    field = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {}, ""
        elif line.startswith("#,"):
            entry["flags"] = {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] = entry[field] + ast.literal_eval(line)  # type: ignore[operator]
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return entries


def test_every_french_string_is_translated_and_none_is_fuzzy():
    entries = [e for e in po_entries(PO) if e["msgid"]]  # the header's msgid is ""
    assert len(entries) > 30
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", set())]
    untranslated = [
        e["msgid"]
        for e in entries
        if any(not value for key, value in e.items() if key.startswith("msgstr"))
    ]
    assert fuzzy == []
    assert untranslated == []
