"""A report as CSV or XLSX: the period and filters on top, then every table.

Cells written from customer or agent text (subjects, comments, names) are
escaped against formula injection: a spreadsheet would run a cell that
starts with = + - @, a tab or a carriage return as a formula, so such a
text gets a leading apostrophe. Numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from . import periods
from .formatting import format_value
from .metrics import Result, Value

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_value(cell: Value) -> Any:
    """What a file cell holds: numbers as numbers (durations in minutes), texts made safe."""
    value = cell.value
    if value is None:
        return ""
    if cell.kind == "duration":
        return round(value / 60, 1)
    if cell.kind in ("percent", "score"):
        return round(value, 1)
    if isinstance(value, datetime):
        return value.astimezone(periods.zone()).replace(tzinfo=None)
    if isinstance(value, int | float):
        return value
    return safe_text(str(value))


def header_rows(result: Result) -> list[list[Any]]:
    scope = result.scope
    rows: list[list[Any]] = [
        [_("Report"), safe_text(result.title)],
        [_("Period"), scope.period.first.isoformat(), scope.period.last.isoformat()],
    ]
    if scope.compare:
        previous = scope.previous
        rows.append([_("Compared with"), previous.first.isoformat(), previous.last.isoformat()])
    filters = scope.filters.as_params()
    rows.append([_("Filters")] + [safe_text(f"{k}={','.join(v)}") for k, v in filters.items()])
    rows.append([_("Durations in minutes.")])
    return rows


def _summary_rows(result: Result) -> list[list[Any]]:
    rows: list[list[Any]] = [[_("Figure"), _("Value"), _("Previous period")]]
    for figure in result.summary:
        previous = Value(figure.value.previous, figure.value.kind)
        rows.append([safe_text(figure.label), cell_value(figure.value), cell_value(previous)])
    return rows


def to_csv(result: Result) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in header_rows(result):
        writer.writerow(row)
    if result.summary:
        writer.writerow([])
        writer.writerows(_summary_rows(result))
    for table in result.tables:
        writer.writerow([])
        writer.writerow([safe_text(table.title)])
        writer.writerow([safe_text(label) for _key, label in table.columns])
        for row in table.rows:
            writer.writerow([cell_value(cell) for cell in row])
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "Sheet"
    base, n = name, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def _xlsx_row(row: list[Any]) -> list[Any]:
    """Control characters (a NUL in a customer's name) cannot be stored in XLSX: dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]


def to_xlsx(result: Result) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    used: set[str] = set()
    sheet.title = _sheet_name(str(_("Summary")), used)
    for row in header_rows(result):
        sheet.append(_xlsx_row(row))
    sheet.append([])
    for row in _summary_rows(result):
        sheet.append(_xlsx_row(row))
    sheet["A1"].font = Font(bold=True)
    for table in result.tables:
        ws = book.create_sheet(_sheet_name(table.title, used))
        ws.append(_xlsx_row([safe_text(table.title)]))
        ws["A1"].font = Font(bold=True)
        ws.append(_xlsx_row([safe_text(label) for _key, label in table.columns]))
        for row in table.rows:
            ws.append(_xlsx_row([cell_value(cell) for cell in row]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = ["format_value", "safe_text", "to_csv", "to_xlsx"]
