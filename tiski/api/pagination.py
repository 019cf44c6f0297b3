"""Cursor pages over a stable order: new rows never shift or repeat a page.

The cursor holds the last row's sort values (an opaque, URL-safe string),
and the next page starts strictly after them, so rows inserted while a
client pages through a list land before its current position (newest
first) or at its end (incremental export, oldest first), never in between.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .errors import ApiError

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass(frozen=True)
class Order:
    """Two columns: a timestamp and the primary key that breaks its ties."""

    column: str
    descending: bool

    @property
    def order_by(self) -> list[str]:
        sign = "-" if self.descending else ""
        return [f"{sign}{self.column}", f"{sign}id"]

    def after(self, moment: datetime, pk: int) -> Q:
        op = "lt" if self.descending else "gt"
        return Q(**{f"{self.column}__{op}": moment}) | Q(**{self.column: moment, f"id__{op}": pk})


def encode(row: Model, order: Order) -> str:
    value = getattr(row, order.column)
    raw = json.dumps([value.isoformat(), row.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment_text, pk = json.loads(base64.urlsafe_b64decode(padded))
        moment = parse_datetime(moment_text)
        if moment is None or not isinstance(pk, int):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ApiError(
            400,
            "invalid_cursor",
            _("The cursor is not one this API gave."),
            {"cursor": [_("Unknown cursor.")]},
        ) from exc
    return moment, pk


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            400,
            "invalid",
            _("limit must be between 1 and %(max)s.") % {"max": MAX_LIMIT},
            {"limit": [_("Between 1 and %(max)s.") % {"max": MAX_LIMIT}]},
        )
    return limit


def page(
    qs: QuerySet, order: Order, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of ``qs`` and the cursor of the next (None on the last page)."""
    check_limit(limit)
    qs = qs.order_by(*order.order_by)
    if cursor:
        qs = qs.filter(order.after(*decode(cursor)))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(rows[-1], order) if more and rows else None)
