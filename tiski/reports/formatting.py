"""Figures as people read them, in the active language.

Finnish writes 1 234,5 and "93,5 %"; English here writes 1 234.5 and
"93.5%" (the desk's European English formats). Durations are rounded to
what a manager reads: minutes under a day, hours and days above.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import periods
from .metrics import Value


def number(value: float, decimals: int = 0) -> str:
    return formats.number_format(
        round(value, decimals), decimals, use_l10n=True, force_grouping=True
    )


def duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


def percent(value: float) -> str:
    text = number(value, 1)
    return f"{text}\u00a0%" if (get_language() or "fi").startswith("fi") else f"{text}%"


def format_value(cell: Value) -> str:
    value = cell.value
    if value is None or value == "":
        return "–"
    if cell.kind == "count" and type(value) is int:
        # The common case, thousands of times a page: both languages group
        # thousands with a no-break space.
        return f"{value:,}".replace(",", "\u00a0")
    if cell.kind == "text":
        return str(value)
    if cell.kind == "duration":
        return duration(value)
    if cell.kind == "percent":
        return percent(value)
    if cell.kind == "score":
        return number(value, 1)
    if cell.kind == "datetime" and isinstance(value, datetime):
        return formats.date_format(value.astimezone(periods.zone()), "SHORT_DATETIME_FORMAT")
    if isinstance(value, float) and not value.is_integer():
        return number(value, 1)
    return number(value)


def format_delta(cell: Value) -> str:
    """The change from the previous period, signed, in the figure's own unit."""
    delta = cell.delta
    if delta is None:
        return ""
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    size = Value(abs(delta), cell.kind if cell.kind != "percent" else "score")
    text = format_value(size)
    if cell.kind == "percent":
        text = _("%(n)s pp") % {"n": text}
    return f"{sign}{text}"
