"""Reading the JSON an old desk gives, in the shapes vendors use.

A reader (zendesk.py, freshdesk.py) asks a *source* for the objects of a
named list ("users", "comments/12345"); `Folder` answers from an export
folder's files, the live sources (zendesk_api.py, freshdesk_api.py) from
the vendor's API page by page. The reader is the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol


class ExportSource(Protocol):
    # Live sources stream tickets (and save how far they got); a folder is read whole.
    streaming: bool

    def items(self, name: str, key: str) -> Iterator[dict[str, Any]]:
        """The objects of the list ``name`` (``key`` is their key in an API answer)."""
        ...


class Folder:
    """An export folder: ``NAME.json`` for each list."""

    streaming = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def items(self, name: str, key: str) -> Iterator[dict[str, Any]]:
        return read_items(self.folder / f"{name}.json", key)


def read_items(path: Path, key: str) -> Iterator[dict[str, Any]]:
    """The objects of one export file.

    The file may be the API's answer (``{"tickets": [...]}``), a plain list,
    several pages of those one after another, or JSON lines (one object a
    line, as the vendors' bulk exports write them).
    """
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8-sig")
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        value, position = decoder.raw_decode(text, position)
        if isinstance(value, list):
            yield from (item for item in value if isinstance(item, dict))
        elif isinstance(value, dict):
            if isinstance(value.get(key), list):
                yield from (item for item in value[key] if isinstance(item, dict))
            elif "id" in value:  # one object of a JSON-lines file
                yield value
