"""Incremental ticket export: every ticket the user sees that changed since a moment.

Two flavours, as in Zendesk. Time based (``incremental/tickets.json``):
``start_time`` (Unix seconds) in, ``end_time`` and ``next_page`` out; the
next page starts at the last ticket's second, so a ticket may come twice
but never goes missing (a client keeps the newest copy). Cursor based
(``incremental/tickets/cursor.json``): ``start_time`` once, then the
``after_cursor``/``after_url`` given; a cursor names the exact last
(time, ticket) read, so nothing repeats. Both say ``end_of_stream`` when
nothing newer is left.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tiski.tickets.models import Ticket

from .. import pagination
from ..errors import ApiError
from . import shapes
from .endpoint import api_base, endpoint
from .errors import bad_parameter
from .pages import url_with

MAX_PER_PAGE = 1000
ORDER = pagination.Order("updated_at", descending=False)


def _per_page(request: HttpRequest) -> int:
    raw = request.GET.get("per_page", "").strip() or str(MAX_PER_PAGE)
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PER_PAGE:
        raise bad_parameter(
            "per_page", _("per_page is a whole number from 1 to %(max)s.") % {"max": MAX_PER_PAGE}
        )
    return int(raw)


def _start_time(request: HttpRequest) -> int:
    raw = request.GET.get("start_time", "").strip()
    if not raw.isdigit():
        raise bad_parameter("start_time", _("start_time is a Unix time in seconds."))
    return int(raw)


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _tickets(request: HttpRequest) -> QuerySet[Ticket]:
    return shapes.ticket_queryset(Ticket.objects.visible_to(request.user))


@endpoint("GET")
def by_time(request: HttpRequest):
    start, size = _start_time(request), _per_page(request)
    qs = _tickets(request).filter(updated_at__gte=_moment(start)).order_by(*ORDER.order_by)
    rows = list(qs[:size])
    end_of_stream = len(rows) < size
    end_time = start
    if rows:
        last = rows[-1]
        last_second = math.floor(last.updated_at.timestamp())
        end_time = last_second
        if not end_of_stream:
            # The rest of the last row's second comes now too, so a next page
            # starting at end_time never has to repeat more than that second.
            rows += list(
                qs.filter(ORDER.after(last.updated_at, last.pk)).filter(
                    updated_at__lt=_moment(last_second + 1)
                )
            )
            if last_second <= start:
                end_time = last_second + 1  # a page within one second must still move on
    base = api_base(request)
    return {
        "tickets": [shapes.ticket(t, base) for t in rows],
        "count": len(rows),
        "end_time": end_time,
        "end_of_stream": end_of_stream,
        "next_page": url_with(request, start_time=end_time),
    }


def _encode(moment: datetime, pk: int) -> str:
    # The v1 API's cursor format, so one decoder reads both.
    raw = json.dumps([moment.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@endpoint("GET")
def by_cursor(request: HttpRequest):
    size = _per_page(request)
    cursor = request.GET.get("cursor", "").strip()
    qs = _tickets(request).order_by(*ORDER.order_by)
    if cursor:
        try:
            moment, pk = pagination.decode(cursor)
        except ApiError as exc:  # the v1 decoder's error, in Zendesk's words
            raise bad_parameter("cursor", _("The cursor is not one this API gave.")) from exc
    elif "start_time" in request.GET:
        moment, pk = _moment(_start_time(request)) - timedelta(microseconds=1), 0
    else:
        raise bad_parameter("start_time", _("Give start_time or cursor."))
    rows = list(qs.filter(ORDER.after(moment, pk))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    after = _encode(rows[-1].updated_at, rows[-1].pk) if rows else _encode(moment, pk)
    base = api_base(request)
    return {
        "tickets": [shapes.ticket(t, base) for t in rows],
        "after_cursor": after,
        "after_url": url_with(request, cursor=after, start_time=None),
        "before_cursor": None,
        "before_url": None,
        "end_of_stream": not more,
    }
