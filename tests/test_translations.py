"""The Finnish catalogue is complete, keeps every placeholder, and its .mo is current."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[1] / "tiski" / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%d|\{\w*\}")


@pytest.fixture(scope="module")
def finnish():
    return polib.pofile(str(LOCALE / "fi" / "LC_MESSAGES" / "django.po"))


def test_every_string_is_translated(finnish):
    missing = [e.msgid for e in finnish.untranslated_entries()]
    fuzzy = [e.msgid for e in finnish.fuzzy_entries()]
    assert not missing, f"untranslated: {missing}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_placeholders_survive_translation(finnish):
    for entry in finnish.translated_entries():
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            for form in entry.msgstr_plural.values():
                got = sorted(PLACEHOLDER.findall(form))
                assert set(got) <= set(PLACEHOLDER.findall(entry.msgid_plural)) | set(expected)
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgstr)) == expected, entry.msgid


def test_compiled_catalogue_matches_source(finnish):
    compiled = polib.mofile(str(LOCALE / "fi" / "LC_MESSAGES" / "django.mo"))
    # Keyed by context too: "team" the label and "team" the object of "change" differ.
    compiled_map = {(e.msgctxt, e.msgid): e.msgstr for e in compiled if not e.msgid_plural}
    for entry in finnish.translated_entries():
        if not entry.msgid_plural:
            assert compiled_map.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
                f"django.mo is stale for {entry.msgid!r}: run `make messages`"
            )


def test_source_strings_are_all_in_the_catalogue(finnish, tmp_path):
    """Every translatable string in the code is in the .po (makemessages was run)."""
    import shutil
    import subprocess
    import sys

    if not shutil.which("xgettext"):
        pytest.skip("xgettext (GNU gettext) is not installed")
    root = Path(__file__).resolve().parents[1]
    work = tmp_path / "tiski"
    shutil.copytree(root / "tiski", work, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    subprocess.run(
        [
            sys.executable,
            str(root / "manage.py"),
            "makemessages",
            "-l",
            "fi",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=work.parent,
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    fresh = polib.pofile(str(work / "locale" / "fi" / "LC_MESSAGES" / "django.po"))
    new = sorted({e.msgid for e in fresh} - {e.msgid for e in finnish})
    assert not new, f"strings missing from the Finnish catalogue (run `make messages`): {new}"
