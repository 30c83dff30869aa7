"""Fill locale/fr/LC_MESSAGES/django.po's empty msgstr from devtools/po_fr.py's table.

Why: no polib on shared hosts or in requirements; a table in Python is reviewable and
keeps the translations beside the script that writes them. Existing msgstr are kept,
except fuzzy ones: msgmerge's guess from a similar msgid ("Current password" given the
French of "Forgotten your password?") is never a translation, so the table decides.
Run after makemessages, then compilemessages.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from devtools.po_fr import FRENCH, FRENCH_PLURAL


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def po_fill(path: Path) -> list[str]:
    """Fill the file in place; return the msgids still untranslated."""
    blocks = path.read_text(encoding="utf-8").split("\n\n")
    missing: list[str] = []
    out = []
    for block in blocks:
        lines = block.split("\n")
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith('"'):
                fields[key] += ast.literal_eval(line)
                continue
            key, _, rest = line.partition(" ")
            fields[key] = ast.literal_eval(rest)
        msgid = fields.get("msgid")
        if not msgid:
            out.append(block)
            continue
        head = [ln for ln in lines if ln.startswith("#") and not ln.startswith("#|")]
        fuzzy = False
        for i, line in enumerate(head):
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
                flags = [f.strip() for f in line[2:].split(",") if f.strip() != "fuzzy"]
                head[i] = "#, " + ", ".join(flags) if flags else ""
        head = [ln for ln in head if ln]
        if fuzzy:
            for key in ("msgstr", "msgstr[0]", "msgstr[1]"):
                fields.pop(key, None)
        body = []
        body.append(f"msgid {_quote(msgid)}")
        if "msgid_plural" in fields:
            body.append(f"msgid_plural {_quote(fields['msgid_plural'])}")
            one, many = fields.get("msgstr[0]") or "", fields.get("msgstr[1]") or ""
            if not one and msgid in FRENCH_PLURAL:
                one, many = FRENCH_PLURAL[msgid]
            if not one:
                missing.append(msgid)
            body += [f"msgstr[0] {_quote(one)}", f"msgstr[1] {_quote(many)}"]
        else:
            text = fields.get("msgstr") or FRENCH.get(msgid, "")
            if not text:
                missing.append(msgid)
            body.append(f"msgstr {_quote(text)}")
        out.append("\n".join(head + body))
    path.write_text("\n\n".join(out), encoding="utf-8")
    return missing


if __name__ == "__main__":
    left = po_fill(Path(sys.argv[1] if len(sys.argv) > 1 else "locale/fr/LC_MESSAGES/django.po"))
    for msgid in left:
        print("untranslated:", msgid)
    sys.exit(1 if left else 0)
