"""A ticket's side conversations: email threads with third parties, never the customer.

The same rules as the desk's panel: the ticket is found through
`get_visible_ticket` and a conversation only through its ticket, so a
token never reaches one of a ticket its user may not see; writing needs
the write scope and an agent who may write outside (light agents get 403).
The mail goes out through `tiski.connectors.email.side`, like the desk's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from tiski.connectors.email import side
from tiski.connectors.models import SideConversation, SideMessage
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Ticket

from .. import pagination
from ..errors import ApiError
from ..schemas import (
    Error,
    SideConversationIn,
    SideConversationOut,
    SideConversationPage,
    SideReplyIn,
)
from . import common

router = Router(tags=["side conversations"])

NEWEST_FIRST = pagination.Order("created_at", descending=True)
BASE = "/tickets/{int:number}/side-conversations"


def _message(message: SideMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "incoming": message.incoming,
        "author_user_id": message.author_user_id,
        "from_address": message.from_address,
        "from_name": message.from_name,
        "text": message.text,
        "created_at": message.created_at,
    }


def _conversation(
    conversation: SideConversation, ticket: Ticket, *, with_messages: bool = False
) -> dict[str, Any]:
    body = {
        "id": conversation.pk,
        "ticket": ticket.number,
        "subject": conversation.subject,
        "to": conversation.to,
        "cc": conversation.cc,
        "status": conversation.status,
        "created_by_id": conversation.created_by_id,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }
    if with_messages:
        body["messages"] = [_message(m) for m in conversation.messages.all()]
        body["message_count"] = len(body["messages"])
    else:
        # Lists annotate the count, so a page costs one query.
        body["message_count"] = conversation.message_count  # type: ignore[attr-defined]
    return body


def _find(ticket: Ticket, side_id: int) -> SideConversation:
    found = SideConversation.objects.filter(ticket=ticket, pk=side_id).first()
    if found is None:
        raise Http404(_("No such side conversation."))
    return found


def _addresses(values: list[str], field: str) -> list[str]:
    for value in values:
        try:
            validate_email(value.strip())
        except ValidationError as exc:
            raise common.field_error(
                field, _("“%(address)s” is not an email address.") % {"address": value}
            ) from exc
    return [v.strip() for v in values]


def _read(conversation: SideConversation, ticket: Ticket, status: int = 200) -> JsonResponse:
    conversation = SideConversation.objects.prefetch_related("messages").get(pk=conversation.pk)
    body = SideConversationOut.model_validate(
        _conversation(conversation, ticket, with_messages=True)
    ).model_dump(mode="json")
    return JsonResponse(body, status=status)


def _refused(exc: ValidationError) -> ApiError:
    return ApiError(422, "invalid", " ".join(exc.messages))


@router.get(BASE, response={200: SideConversationPage, 404: Error})
def list_side_conversations(
    request: HttpRequest, number: int, cursor: str | None = None, limit: int = 25
):
    """The ticket's side conversations, newest first, without their mails."""
    ticket = get_visible_ticket(request.user, number)
    qs = SideConversation.objects.filter(ticket=ticket).annotate(message_count=Count("messages"))
    rows, next_cursor = pagination.page(qs, NEWEST_FIRST, cursor, limit)
    return common.page_body([_conversation(c, ticket) for c in rows], next_cursor)


@router.get(BASE + "/{int:side_id}", response={200: SideConversationOut, 404: Error})
def read_side_conversation(request: HttpRequest, number: int, side_id: int):
    """One side conversation with every mail, oldest first."""
    ticket = get_visible_ticket(request.user, number)
    return _read(_find(ticket, side_id), ticket)


@router.post(
    BASE,
    response={201: SideConversationOut, 403: Error, 404: Error, 422: Error},
    openapi_extra={"requestBody": common.json_body(SideConversationIn)},
)
def start_side_conversation(request: HttpRequest, number: int):
    """Write to a third party about the ticket: a new thread with its own subject and recipients.

    The customer never gets it; the third party's answer threads back here.
    Needs a mailbox to send from (422 otherwise); light agents get 403.
    """
    ticket = get_visible_ticket(request.user, number)
    payload = common.parse_body(request, SideConversationIn)
    side.check_can_send(request.user)
    try:
        conversation = side.start(
            ticket,
            actor=request.user,
            to=_addresses(payload.to, "to"),
            cc=_addresses(payload.cc, "cc"),
            subject=payload.subject,
            text=payload.text,
        )
    except ValidationError as exc:
        raise _refused(exc) from exc
    return _read(conversation, ticket, status=201)


@router.post(
    BASE + "/{int:side_id}/messages",
    response={201: SideConversationOut, 403: Error, 404: Error, 422: Error},
    openapi_extra={"requestBody": common.json_body(SideReplyIn)},
)
def reply_side_conversation(request: HttpRequest, number: int, side_id: int):
    """Our next mail in the conversation (a closed one opens again); answers the conversation."""
    ticket = get_visible_ticket(request.user, number)
    conversation = _find(ticket, side_id)
    payload = common.parse_body(request, SideReplyIn)
    side.check_can_send(request.user)
    try:
        side.reply(conversation, actor=request.user, text=payload.text)
    except ValidationError as exc:
        raise _refused(exc) from exc
    return _read(conversation, ticket, status=201)


@router.post(
    BASE + "/{int:side_id}/close",
    response={200: SideConversationOut, 403: Error, 404: Error},
)
def close_side_conversation(request: HttpRequest, number: int, side_id: int):
    """Close it; the third party's next mail opens it again."""
    ticket = get_visible_ticket(request.user, number)
    conversation = _find(ticket, side_id)
    side.check_can_send(request.user)
    side.close(conversation, actor=request.user)
    return _read(conversation, ticket)
