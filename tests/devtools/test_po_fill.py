"""po_fill: empty msgstr filled from the table, translations kept, fuzzy guesses dropped."""

from __future__ import annotations

from pathlib import Path

from devtools.po_fill import po_fill

HEADER = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n'


def test_a_fuzzy_guess_is_replaced_by_the_table_and_loses_its_flag(tmp_path: Path):
    po = tmp_path / "django.po"
    po.write_text(
        HEADER + "\n"
        "#: apps/users/forms.py:17\n"
        "#, fuzzy\n"
        '#| msgid "Forgotten your password?"\n'
        'msgid "Current password"\n'
        'msgstr "Mot de passe oublié ?"\n'
        "\n"
        "#: apps/content/admin.py:12\n"
        "#, fuzzy, python-format\n"
        'msgid "Revision %(number)d"\n'
        'msgstr "Réinitialisez %(number)d"\n'
        "\n"
        'msgid "Home"\n'
        'msgstr "Maison"\n',
        encoding="utf-8",
    )

    assert po_fill(po) == []

    text = po.read_text(encoding="utf-8")
    assert "fuzzy" not in text
    assert "#|" not in text
    assert 'msgid "Current password"\nmsgstr "Mot de passe actuel"' in text
    assert '#, python-format\nmsgid "Revision %(number)d"\nmsgstr "Révision %(number)d"' in text
    assert 'msgstr "Maison"' in text  # a translation someone wrote is theirs
