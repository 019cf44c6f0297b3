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
        given = False
        if entry.msgid_plural and entry.msgid in plurals:
            entry.msgstr_plural = dict(enumerate(plurals[entry.msgid]))
            given = True
        elif entry.msgid in singular:
            entry.msgstr = singular[entry.msgid]
            given = True
        # A fuzzy entry holds makemessages' guess from a similar string: only a
        # translation given in the table replaces it, never the guess itself.
        if given and "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(po_path[:-3] + ".mo")
    missing = [
        e
        for e in po
        if "fuzzy" in e.flags
        or not (e.msgstr or (e.msgid_plural and all(e.msgstr_plural.values())))
    ]
    for entry in missing:
        guess = f" (fuzzy guess: {entry.msgstr!r})" if "fuzzy" in entry.flags else ""
        print("untranslated:", repr(entry.msgid) + guess)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
