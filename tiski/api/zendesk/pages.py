"""Zendesk's two ways of paging a list, over one stable order (the id).

Offset pages: ``page`` and ``per_page`` in, ``next_page``, ``previous_page``
(full URLs) and ``count`` out. Cursor pages, which Zendesk recommends and
Zenpy asks for: ``page[size]`` and ``page[after]``/``page[before]`` in,
``meta.has_more``, ``meta.after_cursor``/``before_cursor`` and
``links.next``/``links.prev`` out. A request that names ``page[...]`` gets
cursor pages; any other gets offset pages.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.translation import gettext as _

from .. import pagination
from .errors import ZendeskError, bad_parameter

DEFAULT_SIZE = 100
MAX_SIZE = 100


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ZendeskError(
            400,
            "InvalidPaginationParameter",
            _("%(name)s must be a whole number from %(low)s to %(high)s.")
            % {"name": name, "low": low, "high": high},
        )
    return value


def wants_cursor(request: HttpRequest) -> bool:
    return any(key.startswith("page[") for key in request.GET)


def url_with(request: HttpRequest, **params: Any) -> str:
    """This request's absolute URL with some parameters replaced (None drops one)."""
    query = {k: v for k, v in request.GET.items() if k not in params}
    query.update({k: v for k, v in params.items() if v is not None})
    base = request.build_absolute_uri(request.path)
    return f"{base}?{urlencode(query)}" if query else base


def encode_cursor(key: int) -> str:
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, param: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_parameter(param, _("The cursor is not one this API gave.")) from exc


@dataclass(frozen=True)
class Page:
    items: list[Any]
    meta: dict[str, Any]


class Source:
    """What a pager needs from a list: a count, a slice, and rows after or before an id."""

    def __init__(
        self,
        count: Callable[[], int],
        window: Callable[[int, int], Sequence[Any]],
        after: Callable[[int | None, int], Sequence[Any]],
        before: Callable[[int, int], Sequence[Any]],
        key: Callable[[Any], int],
    ) -> None:
        self.count, self.window, self.after, self.before, self.key = (
            count,
            window,
            after,
            before,
            key,
        )


def queryset_source(
    qs, key_field: str = "pk", *, descending: bool = False, key: Callable[[Any], int] | None = None
) -> Source:
    """A source over a queryset ordered by one integer column (ids never move)."""
    first, beyond, behind = ("-", "lt", "gt") if descending else ("", "gt", "lt")
    ordered = qs.order_by(f"{first}{key_field}")
    backwards = qs.order_by(f"{'' if descending else '-'}{key_field}")
    return Source(
        count=qs.count,
        window=lambda start, size: list(ordered[start : start + size]),
        after=lambda last, size: list(
            (ordered if last is None else ordered.filter(**{f"{key_field}__{beyond}": last}))[:size]
        ),
        before=lambda first_key, size: list(
            reversed(backwards.filter(**{f"{key_field}__{behind}": first_key})[:size])
        ),
        key=key or (lambda row: getattr(row, key_field)),
    )


def timed_source(qs, column: str, *, descending: bool = False) -> Source:
    """A source in time order (ties by id), for rows whose ids need not follow their times.

    A merged ticket's messages keep their ids but join another conversation
    at their own moments, so comments are paged by time; the cursor is still
    the last row's id, and its time is looked up.
    """
    order = pagination.Order(column, descending)
    backwards = pagination.Order(column, not descending)
    ordered = qs.order_by(*order.order_by)

    def moment(pk: int):
        found = qs.filter(pk=pk).values_list(column, flat=True).first()
        if found is None:
            raise bad_parameter("page", _("The cursor is not one this API gave."))
        return found

    return Source(
        count=qs.count,
        window=lambda start, size: list(ordered[start : start + size]),
        after=lambda last, size: list(
            (ordered if last is None else ordered.filter(order.after(moment(last), last)))[:size]
        ),
        before=lambda first, size: list(
            reversed(
                qs.order_by(*backwards.order_by).filter(backwards.after(moment(first), first))[
                    :size
                ]
            )
        ),
        key=lambda row: row.pk,
    )


def paginate(request: HttpRequest, source: Source) -> Page:
    return cursor_page(request, source) if wants_cursor(request) else offset_page(request, source)


def offset_page(request: HttpRequest, source: Source) -> Page:
    size = _int_param(request, "per_page", DEFAULT_SIZE, 1, MAX_SIZE)
    number = _int_param(request, "page", 1, 1, 10**9)
    count = source.count()
    items = list(source.window((number - 1) * size, size))
    more = number * size < count
    return Page(
        items,
        {
            "next_page": url_with(request, page=number + 1) if more else None,
            "previous_page": url_with(request, page=number - 1) if number > 1 else None,
            "count": count,
        },
    )


def cursor_page(request: HttpRequest, source: Source) -> Page:
    size = _int_param(request, "page[size]", DEFAULT_SIZE, 1, MAX_SIZE)
    after = request.GET.get("page[after]", "").strip()
    before = request.GET.get("page[before]", "").strip()
    if before:
        rows = list(source.before(decode_cursor(before, "page[before]"), size + 1))
        more_before, rows = len(rows) > size, rows[-size:]
        more_after = True
    else:
        last = decode_cursor(after, "page[after]") if after else None
        rows = list(source.after(last, size + 1))
        more_after, rows = len(rows) > size, rows[:size]
        more_before = last is not None
    first_cursor = encode_cursor(source.key(rows[0])) if rows else None
    last_cursor = encode_cursor(source.key(rows[-1])) if rows else None
    drop = {"page[after]": None, "page[before]": None, "page": None}
    return Page(
        rows,
        {
            "meta": {
                "has_more": more_before if before else more_after,
                "after_cursor": last_cursor,
                "before_cursor": first_cursor,
            },
            "links": {
                "next": url_with(request, **{**drop, "page[after]": last_cursor})
                if last_cursor and more_after
                else None,
                "prev": url_with(request, **{**drop, "page[before]": first_cursor})
                if first_cursor and more_before
                else None,
            },
        },
    )
