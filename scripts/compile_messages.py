"""Compile the gettext catalogues (.po -> .mo) without needing GNU gettext.

The .mo files are build output and not committed; polib writes them so a
machine without `msgfmt` can still run Tiski in Finnish.
"""

from __future__ import annotations

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "tiski"


def main() -> None:
    for po_path in ROOT.glob("**/locale/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


if __name__ == "__main__":
    main()
