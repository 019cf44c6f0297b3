"""Breaking a report down by a custom choice field ("by product group").

A choice field's values are a small fixed set, so they group like a type
or a team. The value is read per counted ticket with one correlated
subquery on the values' (field, ticket) index; the breakdown's key is
``field:<key>`` beside the built-in dimensions.
"""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from tiski.tickets.models import FieldKind, TicketField, TicketFieldValue

PREFIX = "field:"
COLUMN = "custom_value"


def choice_dimensions() -> list[tuple[str, str]]:
    """(by-key, label) of every active choice field, in the fields' order."""
    fields = TicketField.objects.active().filter(kind=FieldKind.CHOICE).order_by("position", "pk")
    return [(PREFIX + f.key, f.label) for f in fields]


def field_of(by: str) -> TicketField | None:
    if not by.startswith(PREFIX):
        return None
    return (
        TicketField.objects.active()
        .filter(kind=FieldKind.CHOICE, key=by.removeprefix(PREFIX))
        .first()
    )


def annotate(facts: QuerySet, field: TicketField) -> QuerySet:
    """Facts (keyed by ticket) with the field's value as ``custom_value``."""
    value = TicketFieldValue.objects.filter(ticket_id=OuterRef("pk"), field=field).values("value")[
        :1
    ]
    return facts.annotate(**{COLUMN: Subquery(value)})


def names(field: TicketField) -> dict[str, str]:
    return {o["value"]: field.option_label(o["value"]) for o in field.options}
