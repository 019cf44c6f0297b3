"""Tickets: list (inbox filters, search, export), create, read, update, merge."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import IdentityKind, NameSource
from tiski.desk import inbox
from tiski.search.query import QueryError, parse
from tiski.search.service import RANK_CANDIDATES, apply_filters, engine
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Channel, Ticket, Via

from .. import pagination, serializers
from ..errors import ApiError
from ..etags import check_if_match, etag
from ..schemas import (
    Error,
    IncludeParams,
    MergeIn,
    TicketCreate,
    TicketListParams,
    TicketOut,
    TicketPage,
    TicketUpdate,
)
from . import common

router = Router(tags=["tickets"])

NEWEST_FIRST = pagination.Order("updated_at", descending=True)
# Incremental export: oldest change first, so a client saves the last
# cursor and later asks only for what changed after it.
OLDEST_FIRST = pagination.Order("updated_at", descending=False)


def _searched(qs, q: str, user):
    """Narrow to the tickets the search query language matches (the same parser as the desk)."""
    try:
        parsed = parse(q)
        qs = apply_filters(qs, parsed, user)  # an unknown custom field is a query error too
    except QueryError as exc:
        raise ApiError(400, "invalid_query", str(exc), {"q": [str(exc)]}) from exc
    if parsed.is_empty:
        return qs
    search = engine()
    if parsed.excluded and not parsed.has_text:
        qs = search.exclude_words(qs, parsed)
    if parsed.has_text:
        # The best-ranked matches, then paged in the list's own stable order.
        ids = [pk for pk, _rank in search.ranked(qs, parsed, RANK_CANDIDATES)]
        qs = qs.filter(pk__in=ids)
    return qs


def ticket_response(
    ticket: Ticket, status: int = 200, include: set[str] | None = None
) -> JsonResponse:
    ticket = serializers.ticket_queryset(
        Ticket.objects.filter(pk=ticket.pk), include or set()
    ).get()
    if include and "last_message" in include:
        serializers.attach_last_messages([ticket])
    body = TicketOut.model_validate(
        serializers.ticket_dict(ticket, include=include or ())
    ).model_dump(exclude_unset=True)
    response = JsonResponse(body, status=status)
    response["ETag"] = etag(ticket)
    return response


@router.get("/tickets", response={200: TicketPage, 400: Error}, exclude_unset=True)
def list_tickets(request: HttpRequest, params: Query[TicketListParams]):
    """Tickets the token's user may see, newest change first, a page at a time."""
    user = request.user
    wanted_fields = serializers.parse_fields(params.fields)
    wanted_include = serializers.parse_include(params.include)
    qs = Ticket.objects.visible_to(user)
    if params.view:
        qs = qs.filter(inbox.find_view(user, params.view).filter(user))
    filters = inbox.Filters(
        status=params.status,
        type=params.type,
        priority=params.priority,
        team=params.team,
        assignee=params.assignee,
        tag=params.tag,
        channel=params.channel,
    )
    qs = filters.apply(qs, user)
    if params.q:
        qs = _searched(qs, params.q, user)
    order = NEWEST_FIRST
    if params.updated_since is not None:
        qs = qs.filter(updated_at__gte=params.updated_since)
        order = OLDEST_FIRST
    qs = serializers.ticket_queryset(qs, wanted_include)
    rows, next_cursor = pagination.page(qs, order, params.cursor, params.limit)
    if "last_message" in wanted_include:
        serializers.attach_last_messages(rows)
    data = [serializers.ticket_dict(t, include=wanted_include, fields=wanted_fields) for t in rows]
    return common.page_body(data, next_cursor)


@router.post("/tickets", response={201: TicketOut, 403: Error, 422: Error}, exclude_unset=True)
def create_ticket(request: HttpRequest, payload: TicketCreate):
    """Open a ticket with the customer's first message (channel "api")."""
    if payload.requester_id:
        requester = common.contact(payload.requester_id)
    elif payload.requester_email:
        requester, _created = get_or_create_contact(
            IdentityKind.EMAIL,
            payload.requester_email,
            name=payload.requester_name,
            name_source=NameSource.AGENT,
        )
    else:
        raise common.field_error("requester_id", _("Give requester_id or requester_email."))
    ticket = actions.create_ticket(
        requester=requester,
        subject=payload.subject,
        actor=request.user,
        via=Via.API,
        channel=Channel.API,
        text=payload.text,
        type=common.type_or_none(payload.type),
        priority=payload.priority,
        team=common.team_or_none(payload.team_id),
        assignee=common.user_or_none(payload.assignee_id),
        tags=payload.tags,
        status=payload.status,
        due_at=payload.due_at,
        fields=payload.custom_fields,
    )
    response = ticket_response(ticket, status=201)
    response["Location"] = f"{request.path.rstrip('/')}/{ticket.number}"
    return response


@router.get(
    "/tickets/{int:number}", response={200: TicketOut, 304: None, 404: Error}, exclude_unset=True
)
def read_ticket(request: HttpRequest, number: int, params: Query[IncludeParams]):
    """One ticket, with its ETag for a later If-Match."""
    ticket = get_visible_ticket(request.user, number)
    if request.headers.get("If-None-Match", "").strip() == etag(ticket):
        response = HttpResponse(status=304)
        response["ETag"] = etag(ticket)
        return response
    return ticket_response(ticket, include=serializers.parse_include(params.include))


def _changes(payload: TicketUpdate) -> dict:
    given = payload.model_dump(exclude_unset=True)
    changes: dict = {}
    for field in ("subject", "status", "priority", "due_at"):
        if field in given:
            if given[field] is None and field != "due_at":
                raise common.field_error(field, _("This field cannot be empty."))
            changes[field] = given[field]
    if "type" in given:
        changes["type"] = common.type_or_none(given["type"])
    if "team_id" in given:
        changes["team"] = common.team_or_none(given["team_id"])
    if "assignee_id" in given:
        changes["assignee"] = common.user_or_none(given["assignee_id"])
    if given.get("requester_id"):
        changes["requester"] = common.contact(given["requester_id"])
    if given.get("custom_fields"):
        changes["fields"] = given["custom_fields"]
    return changes


@router.patch(
    "/tickets/{int:number}",
    response={200: TicketOut, 404: Error, 412: Error, 422: Error},
    exclude_unset=True,
)
def update_ticket(request: HttpRequest, number: int, payload: TicketUpdate):
    """Change fields and tags; with ``If-Match`` only if nobody changed the ticket since."""
    changes = _changes(payload)
    tags = payload.model_dump(exclude_unset=True).get("tags")
    with transaction.atomic():
        ticket = get_visible_ticket(request.user, number)
        # Locked, so the version compared is the one changed.
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        check_if_match(request, ticket)
        with actions.unit_of_work():
            if changes:
                actions.update_ticket(ticket, actor=request.user, via=Via.API, **changes)
            if tags is not None:
                actions.set_tags(ticket, tags, actor=request.user, via=Via.API)
    return ticket_response(ticket)


@router.post(
    "/tickets/{int:number}/merge",
    response={200: TicketOut, 403: Error, 404: Error, 422: Error},
    exclude_unset=True,
    openapi_extra={"requestBody": common.json_body(MergeIn)},
)
def merge_ticket(request: HttpRequest, number: int):
    """Merge this ticket into ``target``; answers with the target."""
    source = get_visible_ticket(request.user, number)
    payload = common.parse_body(request, MergeIn)
    try:
        target = get_visible_ticket(request.user, payload.target)
    except Http404 as exc:  # an unseen target is a field error here
        raise common.field_error("target", _("No such ticket.")) from exc
    actions.check_can_merge(request.user, source, target)
    actions.merge_tickets(source, target, actor=request.user, via=Via.API)
    return ticket_response(target)
