"""The interface ships complete in Dutch and French, and the compiled catalogues match the sources."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def entries(language: str):
    """(context, msgid, msgstr, fuzzy, plural) for each entry of the .po file (a small reader)."""
    blocks = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8").split("\n\n")
    for block in blocks:
        fields, current, fuzzy = {}, None, False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if line.startswith("#"):
                continue
            if line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
                continue
            key, _, value = line.partition(" ")
            current = key
            fields[key] = ast.literal_eval(value)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        plural = "msgid_plural" in fields
        msgstr = fields.get("msgstr[0]", "") if plural else fields.get("msgstr", "")
        yield fields.get("msgctxt"), fields["msgid"], msgstr, fuzzy, plural


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_string_is_translated_and_compiled(language):
    found = list(entries(language))
    assert len(found) > 800
    assert [msgid for _c, msgid, msgstr, fuzzy, _p in found if not msgstr or fuzzy] == []
    with translation.override(language):
        stale = [
            msgid for context, msgid, msgstr, _f, plural in found
            if not plural and (translation.pgettext(context, msgid) if context else translation.gettext(msgid)) != msgstr
        ]
    assert stale == [], "the .mo file is older than the .po file: run `manage.py compilemessages`"
