"""Custom field values of a moved-in ticket, landed in Tiski's own fields.

Zendesk exports name a field by its title ("Order number"), Freshdesk by
its API name (``cf_order_number``). A value lands in the Tiski field whose
key or label matches; one the field cannot hold is reported and stays, like
every other field, in the ticket's first note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from tiski.tickets import custom_fields
from tiski.tickets.models import TicketField

# Keys the readers use for what has its own place (the ticket type).
NOT_CUSTOM = frozenset({"type"})


def _names(name: str) -> set[str]:
    """The ways a source field's name may match a key or label."""
    folded = name.strip().casefold()
    bare = re.sub(r"^cf_", "", folded)
    return {folded, bare, slugify(bare).replace("-", "_")}


def field_for(name: str, fields: list[TicketField]) -> TicketField | None:
    names = _names(name)
    for field in fields:
        if {field.key, field.label_fi.casefold(), field.label_en.casefold()} & names:
            return field
    return None


def landed_values(
    source_fields: dict[str, Any], *, problem: Callable[[str], None]
) -> dict[str, str]:
    """{Tiski key: cleaned value} for the source values that have a field here."""
    fields = list(TicketField.objects.active())
    values: dict[str, str] = {}
    for name, raw in source_fields.items():
        if name in NOT_CUSTOM or raw in (None, "", [], {}):
            continue
        field = field_for(str(name), fields)
        if field is None:
            continue
        if isinstance(raw, list):  # a multi-select: one text of its values
            raw = ", ".join(str(v) for v in raw)
        try:
            values[field.key] = custom_fields.clean_value(field, raw)
        except ValidationError as error:
            problem(" ".join(error.messages))
    return values
