"""A ticket's messages: list them, add a public reply or an internal note (files as multipart)."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from tiski.connectors.routes import reply_route
from tiski.tickets import actions
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Attachment, Channel, MessageKind, Ticket, Via

from .. import pagination, serializers
from ..errors import ApiError
from ..schemas import Error, MessageIn, MessageOut, MessagePage
from . import common

router = Router(tags=["messages"])

OLDEST_FIRST = pagination.Order("created_at", descending=False)
MAX_FILES = 20

_MESSAGE_BODY = {
    "content": {
        "application/json": {"schema": MessageIn.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "kind": {"type": "string", "enum": ["public", "internal"]},
                    "text": {"type": "string"},
                    "status_after": {"type": "string"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
            }
        },
    },
    "required": True,
}


@router.get("/tickets/{int:number}/messages", response={200: MessagePage, 404: Error})
def list_messages(request: HttpRequest, number: int, cursor: str | None = None, limit: int = 50):
    """The conversation, oldest first (system messages included)."""
    ticket = get_visible_ticket(request.user, number)
    qs = ticket.messages.prefetch_related("attachments")
    rows, next_cursor = pagination.page(qs, OLDEST_FIRST, cursor, limit)
    return common.page_body([serializers.message_dict(m, ticket) for m in rows], next_cursor)


def _payload(request: HttpRequest) -> tuple[MessageIn, list]:
    if request.content_type == "multipart/form-data":
        files = request.FILES.getlist("files")
        if len(files) > MAX_FILES:
            raise common.field_error("files", _("At most %(n)s files.") % {"n": MAX_FILES})
        raw = {key: request.POST.get(key) for key in request.POST}
        return common.parse_body(request, MessageIn, raw), files
    return common.parse_body(request, MessageIn), []


def public_reply_route(
    ticket: Ticket, text: str = "", files: list | None = None
) -> tuple[str, dict]:
    """A public reply goes out on the conversation's route (the channel the
    customer wrote on, else email): refused here when it cannot go."""
    route = reply_route(ticket)
    problem = route.refusal(text, files or ())
    if problem:
        raise ApiError(422, "unreachable", problem, {"kind": [problem]})
    meta = dict(route.meta)
    if route.mailboxes:
        meta.update(cc=[], bcc=[])
    return route.channel, meta


@router.post(
    "/tickets/{int:number}/messages",
    response={201: MessageOut, 403: Error, 404: Error, 422: Error},
    openapi_extra={"requestBody": _MESSAGE_BODY},
)
def add_message(request: HttpRequest, number: int):
    """Add a public reply (sent on the conversation's channel, else by email) or an internal note,
    as JSON or multipart with files.

    A light agent's token may add internal notes only (403 for a public reply).
    """
    ticket = get_visible_ticket(request.user, number)
    payload, files = _payload(request)
    actions.check_can_write_message(request.user, payload.kind)
    channel, meta = Channel.MANUAL, None
    if payload.kind == MessageKind.PUBLIC:
        channel, meta = public_reply_route(ticket, payload.text, files)
    message = actions.add_message(
        ticket,
        kind=payload.kind,
        actor=request.user,
        via=Via.API,
        text=payload.text,
        channel=channel,
        meta=meta,
        status_after=payload.status_after,
        attachments=[
            actions.NewAttachment(
                filename=f.name,
                content=f,
                content_type=f.content_type or mimetypes.guess_type(f.name)[0] or "",
            )
            for f in files
        ],
    )
    message = ticket.messages.prefetch_related("attachments").get(pk=message.pk)
    return JsonResponse(
        MessageOut.model_validate(serializers.message_dict(message, ticket)).model_dump(),
        status=201,
    )


@router.get("/attachments/{int:attachment_id}", url_name="attachment", response={404: Error})
def download_attachment(request: HttpRequest, attachment_id: int):
    """A message's file, as a download (never rendered by a browser)."""
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if (
        attachment is None
        or not Ticket.objects.visible_to(request.user)
        .filter(pk=attachment.message.ticket_id)
        .exists()
    ):
        raise Http404(_("No such attachment."))
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
