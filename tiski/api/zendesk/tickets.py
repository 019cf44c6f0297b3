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

from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from ..endpoints.messages import public_reply_route
from ..errors import ApiError
from . import changes as reading
from . import pages, shapes
from .endpoint import api_base, body, endpoint, ids_param
from .errors import ZendeskError, invalid

# The fields an audit reports as changed, in Zendesk's names.
AUDITED = ("subject", "status", "priority", "assignee_id", "group_id", "requester_id", "tags")


def _one(ticket: Ticket, request: HttpRequest) -> dict[str, Any]:
    fresh = shapes.ticket_queryset(Ticket.objects.filter(pk=ticket.pk)).get()
    return shapes.ticket(fresh, api_base(request))


def _listed(request: HttpRequest, qs) -> dict[str, Any]:
    page = pages.paginate(request, pages.queryset_source(shapes.ticket_queryset(qs), "number"))
    base = api_base(request)
    return {"tickets": [shapes.ticket(t, base) for t in page.items], **page.meta}


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
    return {
        "tickets": [shapes.ticket(t, base) for t in shapes.ticket_queryset(qs).order_by("number")]
    }


@endpoint("GET", "PUT")
def ticket(request: HttpRequest, number: int):
    found = get_visible_ticket(request.user, number)
    if request.method == "PUT":
        return update(request, found)
    return {"ticket": _one(found, request)}


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


def _comment_kind_and_route(
    ticket: Ticket, comment: reading.NewComment, user
) -> tuple[str, str, dict | None]:
    if not comment.public:
        return MessageKind.INTERNAL, Channel.MANUAL, None
    actions.check_can_write_message(user, MessageKind.PUBLIC)
    try:
        channel, meta = public_reply_route(ticket)
    except ApiError as exc:
        raise invalid("comment", exc.message) from exc
    return MessageKind.PUBLIC, channel, meta


def create(request: HttpRequest) -> JsonResponse:
    """A new ticket; its first comment is the requester's message (a private one: a note)."""
    raw = body(request, "ticket")
    wanted = reading.read(raw)
    if wanted.comment is None and raw.get("description"):
        wanted.comment = reading.comment({"body": raw["description"]})
    if wanted.comment is None:
        raise invalid("comment", _("A new ticket needs a comment (or a description)."))
    subject = wanted.fields.pop("subject", "") or _subject_from(wanted.comment)
    with transaction.atomic():
        ticket = actions.create_ticket(
            requester=reading.requester(raw, request.user),
            subject=subject,
            actor=request.user,
            via=Via.API,
            channel=Channel.API,
            text=wanted.comment.text,
            html=wanted.comment.html,
            first_message_kind=MessageKind.CUSTOMER
            if wanted.comment.public
            else MessageKind.INTERNAL,
            tags=wanted.tags or [],
            type=wanted.fields.get("type"),
            priority=wanted.fields.get("priority", "normal"),
            status=wanted.fields.get("status"),
            team=wanted.fields.get("team"),
            assignee=wanted.fields.get("assignee"),
            due_at=wanted.fields.get("due_at"),
        )
    after = _one(ticket, request)
    first = ticket.messages.order_by("created_at", "id").first()
    response = JsonResponse(
        {"ticket": after, "audit": _audit(request, {}, after, first)}, status=201
    )
    response["Location"] = after["url"]
    return response


def _subject_from(comment: reading.NewComment) -> str:
    line = next((part.strip() for part in comment.text.splitlines() if part.strip()), "")
    if not line:
        raise invalid("subject", _("Give a subject."))
    return line[:80]


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
    wanted = reading.read(raw)
    fields = dict(wanted.fields)
    if "requester_id" in raw or "requester" in raw:
        fields["requester"] = reading.requester(raw, None)
    message = None
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=found.pk)
        _check_stamp(raw, ticket, request)
        before = _one(ticket, request)
        with actions.unit_of_work():
            if wanted.comment is not None:
                kind, channel, meta = _comment_kind_and_route(ticket, wanted.comment, request.user)
                message = actions.add_message(
                    ticket,
                    kind=kind,
                    actor=request.user,
                    via=Via.API,
                    text=wanted.comment.text,
                    html=wanted.comment.html,
                    channel=channel,
                    meta=meta,
                )
            if fields:
                actions.update_ticket(ticket, actor=request.user, via=Via.API, **fields)
            tags = _final_tags(before["tags"], wanted)
            if tags is not None:
                actions.set_tags(ticket, tags, actor=request.user, via=Via.API)
    after = _one(ticket, request)
    return {"ticket": after, "audit": _audit(request, before, after, message)}


def _final_tags(current: list[str], wanted: reading.TicketChanges) -> list[str] | None:
    if wanted.tags is None and not wanted.add_tags and not wanted.remove_tags:
        return None
    tags = list(wanted.tags if wanted.tags is not None else current)
    tags += [t for t in wanted.add_tags if t not in tags]
    return [t for t in tags if t not in set(wanted.remove_tags)]


@endpoint("GET")
def comments(request: HttpRequest, number: int):
    """The conversation, oldest first (``sort_order=desc``: newest first); system lines left out."""
    found = get_visible_ticket(request.user, number)
    qs = shapes.comment_queryset(found)
    source = pages.queryset_source(qs, "pk")
    if request.GET.get("sort_order") == "desc":
        source = pages.queryset_source(qs, "pk", descending=True)
    page = pages.paginate(request, source)
    base = api_base(request)
    return {
        "comments": [shapes.comment(m, base, found.requester_id) for m in page.items],
        **page.meta,
    }
