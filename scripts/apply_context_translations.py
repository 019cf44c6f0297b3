"""Set Finnish translations of entries that have a context (msgctxt).

`apply_translations.py` matches by msgid alone, which would also overwrite
the same English word without a context ("team" the heading vs. "team" as
the object of "change"). Table: CONTEXT = {(msgctxt, msgid): msgstr or [forms]}.
    python scripts/apply_context_translations.py tiski/locale/fi/LC_MESSAGES/django.po table.py
"""

from __future__ import annotations

import runpy
import sys

import polib


def main(po_path: str, table_path: str) -> int:
    table: dict[tuple[str, str], str | list[str]] = runpy.run_path(table_path)["CONTEXT"]
    po = polib.pofile(po_path)
    for entry in po:
        value = table.get((entry.msgctxt or "", entry.msgid))
        if value is None:
            continue
        if isinstance(value, list):
            entry.msgstr_plural = dict(enumerate(value))
        else:
            entry.msgstr = value
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    po.save_as_mofile(po_path[:-3] + ".mo")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
