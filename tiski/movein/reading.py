"""Reading the JSON files of an export folder, in the shapes vendors use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


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
