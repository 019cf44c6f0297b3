"""Merge a {msgid: msgstr} table into a catalogue and report what is still missing.

Used when a batch of new strings is translated at once:
    python scripts/apply_translations.py tiski/locale/fi/LC_MESSAGES/django.po table.py
where table.py defines FI = {...} and optionally PLURALS = {msgid: [forms]}.
"""

from __future__ import annotations

import runpy
import sys

import polib


def main(po_path: str, table_path: str) -> int:
    table = runpy.run_path(table_path)
    singular: dict[str, str] = table.get("FI", {})
    plurals: dict[str, list[str]] = table.get("PLURALS", {})
    po = polib.pofile(po_path)
    for entry in po:
        if entry.msgid_plural and entry.msgid in plurals:
            entry.msgstr_plural = dict(enumerate(plurals[entry.msgid]))
        elif entry.msgid in singular:
            entry.msgstr = singular[entry.msgid]
        if "fuzzy" in entry.flags and (entry.msgstr or entry.msgstr_plural.get(0)):
            entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(po_path[:-3] + ".mo")
    missing = [
        e.msgid for e in po if not (e.msgstr or (e.msgid_plural and all(e.msgstr_plural.values())))
    ]
    for msgid in missing:
        print("untranslated:", repr(msgid))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
