"""Which rules name a record, and putting a new value in its place.

A parameter says what its value points at (``param(references="tag")``),
so finding every rule that names a tag, a team or an agent needs no list of
types here: the stored JSON is walked and each condition or action is
checked against its type's params model. Pure functions over the stored
definition; `services.rewrite_references` writes the result.

Values are compared as stored, except tag names, which are compared in
their normal form (what `Tag.normalise` makes of them), as tickets store them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from .params import references_of
from .registry import ACTIONS, CONDITIONS, GROUP_KEYS

Part = Literal["condition", "action"]


def _same(kind: str, stored: Any, value: Any) -> bool:
    if isinstance(stored, bool) or isinstance(value, bool):
        return False
    if kind == "tag" and isinstance(stored, str) and isinstance(value, str):
        from tiski.tickets.models import Tag

        return Tag.normalise(stored) == Tag.normalise(value)
    return stored == value


def _items(part: Part, data: Any) -> Iterator[dict[str, Any]]:
    """Every stored condition (through nested groups) or action, as dicts."""
    if part == "action":
        for item in data if isinstance(data, list) else []:
            if isinstance(item, dict):
                yield item
        return
    if not isinstance(data, Mapping):
        return
    for key in GROUP_KEYS:
        items = data.get(key, [])
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if "type" in item:
                yield item
            else:
                yield from _items("condition", item)


def _params(part: Part, item: Mapping[str, Any], kind: str) -> list[str]:
    """The parameters of a stored item whose values point at `kind`."""
    registry = CONDITIONS if part == "condition" else ACTIONS
    found = registry.get(item.get("type")) if isinstance(item.get("type"), str) else None
    if found is None:
        return []
    return [name for name, ref in references_of(found.params).items() if ref == kind]


def uses(part: Part, data: Any, kind: str, value: Any) -> list[str]:
    """The type names of the items in `data` that name `value` (once per item)."""
    found: list[str] = []
    for item in _items(part, data):
        for name in _params(part, item, kind):
            stored = item.get(name)
            values = stored if isinstance(stored, list) else [stored]
            if any(_same(kind, v, value) for v in values):
                found.append(item["type"])
                break
    return found


def _replaced(kind: str, stored: Any, old: Any, new: Any) -> Any:
    if isinstance(stored, list):
        result: list[Any] = []
        for value in stored:
            value = new if _same(kind, value, old) else value
            # A list that already had the new value keeps it once.
            if not any(_same(kind, value, seen) for seen in result):
                result.append(value)
        return result
    return new if _same(kind, stored, old) else stored


def replace(part: Part, data: Any, kind: str, old: Any, new: Any) -> tuple[Any, bool]:
    """A copy of `data` with `old` replaced by `new` where a parameter points
    at `kind`, and whether anything changed. Everything else stays as stored."""
    result = copy.deepcopy(data)
    changed = False
    for item in _items(part, result):
        for name in _params(part, item, kind):
            if name in item:
                replaced = _replaced(kind, item[name], old, new)
                if replaced != item[name]:
                    item[name] = replaced
                    changed = True
    return result, changed


def type_label(part: Part, type_name: str) -> str:
    registry: Mapping[str, Any] = CONDITIONS if part == "condition" else ACTIONS
    found = registry.get(type_name)
    return str(found.label) if found is not None else type_name


__all__ = ["replace", "type_label", "uses"]
