"""Custom ticket fields: the one place values are validated, stored and shown.

Every writer (the side panel, the web form, the API, rules, moving in)
hands raw values to `tickets.actions` (``update_ticket(fields=...)``,
``create_ticket(fields=...)``), which cleans them here. A value is stored as
canonical text: ``42``, ``12.50``, ``2026-12-04``, a choice's value,
``true``; an empty value removes the row.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tiski.core.config_cache import kept

from .models import FieldKind, TicketField, TicketFieldValue

if TYPE_CHECKING:
    from .models import Ticket

MAX_LENGTH = {FieldKind.TEXT: 255, FieldKind.LONG_TEXT: 5000}
LOOKUP_LENGTH = 100
TRUE_WORDS = {"true", "1", "yes", "on", "kyllä", "x"}
FALSE_WORDS = {"false", "0", "no", "off", "ei", ""}
# 31.12.2026 as Finns write it, beside the ISO form.
_FINNISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _invalid(field: TicketField, message: str) -> ValidationError:
    return ValidationError(
        _("%(label)s: %(problem)s") % {"label": field.label, "problem": message},
        code="invalid",
    )


def _clean_number(field: TicketField, text: str) -> str:
    try:
        return str(int(text.replace(" ", "").replace("\u00a0", "")))
    except ValueError:
        raise _invalid(field, _("enter a whole number.")) from None


def _clean_decimal(field: TicketField, text: str) -> str:
    try:
        number = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        raise _invalid(field, _("enter a number, for example 12,50.")) from None
    if not number.is_finite() or len(number.as_tuple().digits) > 18:
        raise _invalid(field, _("enter a number, for example 12,50."))
    return format(number, "f")


def _clean_date(field: TicketField, text: str) -> str:
    found = _FINNISH_DATE.match(text)
    try:
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise _invalid(field, _("enter a date, for example 31.12.2026.")) from None


def _clean_choice(field: TicketField, text: str) -> str:
    values = [option.get("value") for option in field.options]
    if text in values:
        return text
    # An option's label is accepted too (a customer's or an import's words).
    folded = text.casefold()
    for option in field.options:
        labels = (option.get("value", ""), option.get("label_fi", ""), option.get("label_en", ""))
        if folded in (label.casefold() for label in labels):
            return option["value"]
    raise _invalid(field, _("“%(value)s” is not one of the options.") % {"value": text})


def _clean_checkbox(field: TicketField, text: str) -> str:
    word = text.casefold()
    if word in TRUE_WORDS:
        return "true"
    if word in FALSE_WORDS:
        return ""
    raise _invalid(field, _("tick it or leave it empty."))


def clean_value(field: TicketField, raw: Any) -> str:
    """The canonical text of ``raw`` for ``field``; "" for no value.

    Raises ValidationError naming the field, so a caller can show it as is.
    """
    if raw is None:
        return ""
    if isinstance(raw, bool):
        raw = "true" if raw else ""
    elif isinstance(raw, date | datetime):
        raw = raw.isoformat()[:10]
    # PostgreSQL refuses NUL in text: a stray NUL byte from a customer's
    # form or an import must not make the whole ticket impossible to store.
    text = str(raw).replace("\x00", "").strip()
    if field.kind == FieldKind.CHECKBOX:
        return _clean_checkbox(field, text)
    if not text:
        return ""
    limit = MAX_LENGTH.get(field.kind)
    if limit is not None:
        if len(text) > limit:
            raise _invalid(
                field,
                _("at most %(count)d characters, now %(now)d.")
                % {"count": limit, "now": len(text)},
            )
        return text
    cleaners = {
        FieldKind.NUMBER: _clean_number,
        FieldKind.DECIMAL: _clean_decimal,
        FieldKind.DATE: _clean_date,
        FieldKind.CHOICE: _clean_choice,
    }
    return cleaners[field.kind](field, text)


def lookup_of(value: str) -> str:
    return value.casefold()[:LOOKUP_LENGTH]


def display_value(field: TicketField | None, value: str) -> str:
    """A stored value as people read it, in the active language."""
    if field is None:
        return value
    if field.kind == FieldKind.CHECKBOX:
        return _("Yes") if value == "true" else _("No")
    if not value:
        return ""
    if field.kind == FieldKind.CHOICE:
        return field.option_label(value)
    if field.kind == FieldKind.DATE:
        try:
            return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    if field.kind == FieldKind.DECIMAL and value:
        from django.utils.formats import number_format

        return number_format(Decimal(value), use_l10n=True)
    return value


def json_value(field: TicketField, value: str) -> Any:
    """A stored value as the API gives it: numbers as numbers, a checkbox as a boolean."""
    if field.kind == FieldKind.CHECKBOX:
        return value == "true"
    if not value:
        return None
    if field.kind == FieldKind.NUMBER:
        return int(value)
    return value


def fields_for(ticket_type_id: int | None, *, customer: bool = False) -> list[TicketField]:
    """The active fields of a ticket type in their order (customers: only theirs),
    kept by a web process until a field changes (core/config_cache.py)."""

    def read() -> list[TicketField]:
        fields = TicketField.objects.active().for_type(ticket_type_id)
        if customer:
            fields = fields.filter(customer_visible=True)
        return list(fields.order_by("position", "pk"))

    return kept(f"ticket-fields:{ticket_type_id}:{customer}", read)


def values_of(ticket: Ticket) -> dict[str, str]:
    """{field key: stored value} of a ticket."""
    return dict(ticket.field_values.values_list("field__key", "value"))


def missing_to_solve(ticket: Ticket, values: dict[str, str]) -> list[TicketField]:
    """Fields required to solve this ticket's type that ``values`` leaves empty."""
    return [
        field
        for field in fields_for(ticket.type_id)
        if field.required_on_solve and not values.get(field.key)
    ]


def clean_values(raw: dict[str, Any]) -> dict[TicketField, str]:
    """Each raw value by key, cleaned; every problem reported at once."""
    known = {f.key: f for f in TicketField.objects.filter(key__in=list(raw))}
    cleaned: dict[TicketField, str] = {}
    problems: list[ValidationError] = []
    for key, value in raw.items():
        field = known.get(key)
        if field is None:
            problems.append(
                ValidationError(_("There is no ticket field “%(key)s”.") % {"key": key})
            )
            continue
        if not field.active:
            problems.append(
                ValidationError(
                    _("The ticket field %(label)s is no longer in use.") % {"label": field.label}
                )
            )
            continue
        try:
            cleaned[field] = clean_value(field, value)
        except ValidationError as error:
            problems.append(error)
    if problems:
        raise ValidationError(problems)
    return cleaned


def write_values(
    ticket: Ticket, cleaned: dict[TicketField, str]
) -> list[tuple[TicketField, str, str]]:
    """Store cleaned values; returns (field, old, new) for those that changed.

    Only `tickets.actions` calls this, which writes the events.
    """
    rows = {row.field_id: row for row in ticket.field_values.filter(field__in=list(cleaned))}
    changed: list[tuple[TicketField, str, str]] = []
    for field, new in cleaned.items():
        row = rows.get(field.pk)
        old = row.value if row else ""
        if old == new:
            continue
        if not new:
            row.delete()
        elif row is None:
            TicketFieldValue.objects.create(
                ticket=ticket, field=field, value=new, lookup=lookup_of(new)
            )
        else:
            row.value, row.lookup = new, lookup_of(new)
            row.save(update_fields=["value", "lookup"])
        changed.append((field, old, new))
    return changed


def shown_values(ticket: Ticket, *, customer: bool = False) -> list[tuple[str, str]]:
    """(label, value as read) of the ticket's filled-in active fields, in order;
    ``customer``: only those shown to customers."""
    rows = ticket.field_values.filter(field__active=True).select_related("field")
    if customer:
        rows = rows.filter(field__customer_visible=True)
    rows = rows.order_by("field__position", "field__pk")
    return [(row.field.label, display_value(row.field, row.value)) for row in rows]
