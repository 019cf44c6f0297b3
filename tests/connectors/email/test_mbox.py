"""The import's mbox reader cuts messages exactly where `mailbox.mbox` does:
the receipt key is the hash of those bytes, so a re-run of an import made
before must find every message already stored."""

from __future__ import annotations

import mailbox as mailboxes
from pathlib import Path

import pytest

from tiski.connectors.email.mbox import iter_mbox

CASES = {
    "two messages": b"From a\nX: 1\n\nbody\n\nFrom b\nY: 2\n\nb2\n",
    "only a From line": b"From a\n",
    "no final newline": b"From a",
    "From lines back to back": b"From a\nFrom b\n",
    "empty messages": b"From a\n\nFrom b\n\n",
    "no empty line before From": b"From a\nx\nFrom b\nx",
    "several empty lines": b"From a\n\n\n\nFrom b\n\n\n",
    "CRLF lines": b"From a\r\nx\r\n\r\nFrom b\r\n",
    "quoted >From kept": b"From a\n>From q\n\nFrom b\n\n",
    "last without newline": b"From a\n\nFrom b",
    "From inside a line": b"From a\nsaid From here\n\nFrom b\nz\n",
    "text before the first From line": b"junk\nFrom a\nx\n\nFrom b\n",
    "an empty line first": b"\nFrom a\nx\n",
    "From without its space": b"From a\nFromage\n\nFrom b\n",
}


def standard_library(path: Path) -> list[tuple[int, bytes]]:
    box = mailboxes.mbox(str(path), factory=None, create=False)
    try:
        return [(key, box.get_bytes(key)) for key in box.iterkeys()]
    finally:
        box.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_messages_cut_as_the_standard_library_cuts_them(tmp_path, name):
    path = tmp_path / "box.mbox"
    path.write_bytes(CASES[name])
    assert list(iter_mbox(path)) == standard_library(path)


def test_a_written_mbox_reads_back_the_same(tmp_path):
    path = tmp_path / "written.mbox"
    box = mailboxes.mbox(str(path))
    for i in range(5):
        box.add(f"From: a{i}@x.fi\nSubject: {i}\n\nFrom the start of a line\n\nHei {i}\n".encode())
    box.flush()
    box.close()
    read = list(iter_mbox(path))
    assert len(read) == 5 and read == standard_library(path)


def test_an_empty_file_has_no_messages(tmp_path):
    path = tmp_path / "empty.mbox"
    path.write_bytes(b"")
    assert list(iter_mbox(path)) == []
