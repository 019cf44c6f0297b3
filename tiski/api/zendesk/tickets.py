"""Tickets: list, show, show_many, create and update, and a ticket's comments.

Zendesk's ticket id is Tiski's ticket number. Reads go through
``Ticket.objects.visible_to`` (a ticket the user may not see is "not found",
exactly like one that does not exist); writes through the ticket actions,
marked *via API*, so rules, SLA clocks and mail run as for the desk.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Ticket

from . import bulk, pages, shapes, sideload, writes
from .endpoint import api_base, body, endpoint, ids_param
from .errors import ZendeskError

# The fields an audit reports as changed, in Zendesk's names.
AUDITED = ("subject", "status", "priority", "assignee_id", "group_id", "requester_id", "tags")


def _one(ticket: Ticket, request: HttpRequest) -> dict[str, Any]:
    fresh = shapes.ticket_queryset(Ticket.objects.filter(pk=ticket.pk)).get()
    return shapes.ticket(fresh, api_base(request))


def _listed(request: HttpRequest, qs) -> dict[str, Any]:
    page = pages.paginate(request, pages.queryset_source(shapes.ticket_queryset(qs), "number"))
    base = api_base(request)
    rows = [shapes.ticket(t, base) for t in page.items]
    return {"tickets": rows, **sideload.side_loads(request, rows, base), **page.meta}


@endpoint("GET", "POST")
def tickets(request: HttpRequest):
    if request.method == "POST":
        return create(request)
    return _listed(request, Ticket.objects.visible_to(request.user))


@endpoint("GET")
def show_many(request: HttpRequest):
    """``?ids=1,2,3``: the ones the user may see (others are left out, as Zendesk does)."""
    numbers = ids_param(request)
    qs = Ticket.objects.visible_to(request.user).filter(number__in=numbers)
    base = api_base(request)
    rows = [shapes.ticket(t, base) for t in shapes.ticket_queryset(qs).order_by("number")]
    return {"tickets": rows, **sideload.side_loads(request, rows, base)}


@endpoint("GET", "PUT", "DELETE")
def ticket(request: HttpRequest, number: int):
    if request.method == "DELETE":
        bulk.refuse_delete(request, number)
    found = get_visible_ticket(request.user, number)
    if request.method == "PUT":
        return update(request, found)
    shown = _one(found, request)
    return {"ticket": shown, **sideload.side_loads(request, [shown], api_base(request))}


def _audit(
    request: HttpRequest, before: dict[str, Any], after: dict[str, Any], message
) -> dict[str, Any]:
    """Zendesk's audit of one change: the comment added and each field that changed."""
    base = api_base(request)
    events: list[dict[str, Any]] = []
    if message is not None:
        events.append(shapes.comment(message, base, message.ticket.requester_id))
    for name in AUDITED:
        if before.get(name) != after[name] and (before or after[name] not in (None, [])):
            events.append(
                {
                    "type": "Change" if before else "Create",
                    "field_name": name.removesuffix("_id") if name != "requester_id" else name,
                    "value": after[name],
                    "previous_value": before.get(name),
                }
            )
    for number, event in enumerate(events, start=1):
        event["id"] = number
    return {
        "id": message.pk if message is not None else None,
        "ticket_id": after["id"],
        "created_at": after["updated_at"],
        "author_id": request.user.pk,
        "metadata": {},
        "via": {"channel": "api", "source": {}},
        "events": events,
    }


def create(request: HttpRequest) -> JsonResponse:
    ticket, first = writes.open_ticket(body(request, "ticket"), request.user)
    after = _one(ticket, request)
    response = JsonResponse(
        {"ticket": after, "audit": _audit(request, {}, after, first)}, status=201
    )
    response["Location"] = after["url"]
    return response


def _check_stamp(raw: dict[str, Any], ticket: Ticket, request: HttpRequest) -> None:
    """Zendesk's ``safe_update``: refuse if the ticket changed after the client read it."""
    if not raw.get("safe_update"):
        return
    if raw.get("updated_stamp") != shapes.ticket(ticket, api_base(request))["updated_at"]:
        raise ZendeskError(
            409,
            "UpdateConflict",
            _("The ticket was changed after you read it. Read it again and retry."),
        )


def update(request: HttpRequest, found: Ticket) -> dict[str, Any]:
    raw = body(request, "ticket")
    with transaction.atomic():
        # Locked, so the version compared with updated_stamp is the one changed.
        ticket = Ticket.objects.select_for_update().get(pk=found.pk)
        _check_stamp(raw, ticket, request)
        before = _one(ticket, request)
        message = writes.change_ticket(ticket, raw, request.user)
    after = _one(ticket, request)
    return {"ticket": after, "audit": _audit(request, before, after, message)}


@endpoint("GET")
def comments(request: HttpRequest, number: int):
    """The conversation, oldest first (``sort_order=desc``: newest first); system lines left out."""
    found = get_visible_ticket(request.user, number)
    qs = shapes.comment_queryset(found)
    descending = request.GET.get("sort_order") == "desc"
    page = pages.paginate(request, pages.timed_source(qs, "created_at", descending=descending))
    base = api_base(request)
    return {
        "comments": [shapes.comment(m, base, found.requester_id) for m in page.items],
        **page.meta,
    }
