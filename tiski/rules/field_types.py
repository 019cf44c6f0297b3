"""The rule condition on custom ticket fields: "Tuoteryhmä is Laitteet".

One class, registered on import; the values come from the tickets app's
own cleaning (`tickets.custom_fields`), so a rule compares exactly what
tickets store: "31.12.2026" in a rule matches the ISO date on the ticket,
a choice's label matches its value.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import model_validator

from tiski.calendars.hours import BusinessCalendar

from .facts import TicketFacts
from .params import Label, param
from .registry import ConditionKind, QFilter

FIELD_OPS = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "contains": gettext_lazy("contains"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
}


def ticket_fields() -> list[tuple[Any, Label]]:
    from tiski.tickets.models import TicketField

    return [(f.key, f.label) for f in TicketField.objects.order_by("position", "pk")]


class CustomField(ConditionKind):
    """A custom field's value on the ticket. "Is" compares the value as the
    field stores it (case does not matter); an empty field is neither
    "is" nor "contains" anything."""

    type_name = "custom_field"
    label = gettext_lazy("Ticket field")

    field: str = param(label=gettext_lazy("Field"), options=ticket_fields)
    op: Literal["is", "is_not", "contains", "empty", "not_empty"] = param(
        "is", label=gettext_lazy("Comparison"), options=FIELD_OPS
    )
    value: str = param(
        "", label=gettext_lazy("Value"), help=gettext_lazy("Not used with “is empty”.")
    )

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        """Store the value as the field stores it, so matching is plain equality."""
        from tiski.tickets import custom_fields
        from tiski.tickets.models import TicketField

        if not isinstance(data, dict) or not isinstance(data.get("field"), str):
            return data  # the field checks report what is missing
        definition = TicketField.objects.filter(key=data["field"]).first()
        if definition is None:
            raise ValueError(_("there is no ticket field “%(key)s”") % {"key": data["field"]})
        op, value = data.get("op", "is"), data.get("value", "")
        if op in ("empty", "not_empty"):
            return {**data, "value": ""}
        if not isinstance(value, str):
            return data
        if op != "contains":
            try:
                value = custom_fields.clean_value(definition, value)
            except ValidationError as error:
                raise ValueError(" ".join(error.messages)) from None
        if not value.strip():
            raise ValueError(_("give a value, or compare with “is empty”"))
        return {**data, "value": value}

    @classmethod
    def load(cls, ticket_ids: list[int]) -> dict[int, dict[str, str]]:
        from tiski.tickets.models import TicketFieldValue

        found: dict[int, dict[str, str]] = defaultdict(dict)
        rows = TicketFieldValue.objects.filter(ticket_id__in=ticket_ids).values_list(
            "ticket_id", "field__key", "value"
        )
        for ticket_id, key, value in rows:
            found[ticket_id][key] = value
        return dict(found)

    def matches(self, facts: TicketFacts) -> bool:
        actual = ((facts.loaded.get(self.type_name) or {}).get(self.field) or "").casefold()
        wanted = self.value.casefold()
        if self.op == "empty":
            return not actual
        if self.op == "not_empty":
            return bool(actual)
        if self.op == "contains":
            return bool(actual) and wanted in actual
        return (actual == wanted) == (self.op == "is")

    def to_q(self, now: datetime, calendar: BusinessCalendar) -> QFilter | None:
        from tiski.tickets import custom_fields
        from tiski.tickets.models import TicketFieldValue

        rows = TicketFieldValue.objects.filter(ticket_id=OuterRef("pk"), field__key=self.field)
        if self.op in ("empty", "not_empty"):
            present = Q(Exists(rows))
            return (present if self.op == "not_empty" else ~present), True
        if self.op == "contains":
            # SQLite folds the case of ASCII letters only: narrow to tickets
            # with a value and let the check in Python decide.
            return Q(Exists(rows)), False
        same = Q(Exists(rows.filter(lookup=custom_fields.lookup_of(self.value))))
        if len(self.value) > custom_fields.LOOKUP_LENGTH:
            # The look-up holds a value's head only: Python decides the rest.
            return (same, False) if self.op == "is" else (Q(), False)
        return (same if self.op == "is" else ~same), True
