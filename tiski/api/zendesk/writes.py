"""A Zendesk ticket body applied through the ticket actions, marked *via API*.

Used by the ``/api/v2/`` views and by the demo, so the demo's "old Zendesk
script" ticket is written exactly as a real script's would be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from tiski.tickets import actions
from tiski.tickets.models import Channel, Message, MessageKind, Ticket, Via

from ..endpoints.messages import public_reply_route
from ..errors import ApiError
from . import changes as reading
from .errors import invalid

if TYPE_CHECKING:
    from tiski.accounts.models import User


def open_ticket(raw: dict[str, Any], user: User) -> tuple[Ticket, Message]:
    """A new ticket; its first comment is the requester's message (a private one: a note)."""
    wanted = reading.read(raw)
    if wanted.comment is None and raw.get("description"):
        wanted.comment = reading.comment({"body": raw["description"]})
    if wanted.comment is None:
        raise invalid("comment", _("A new ticket needs a comment (or a description)."))
    subject = wanted.fields.pop("subject", "") or _subject_from(wanted.comment)
    with transaction.atomic():
        ticket = actions.create_ticket(
            requester=reading.requester(raw, user),
            subject=subject,
            actor=user,
            via=Via.API,
            channel=Channel.API,
            text=wanted.comment.text,
            html=wanted.comment.html,
            first_message_kind=(
                MessageKind.CUSTOMER if wanted.comment.public else MessageKind.INTERNAL
            ),
            tags=wanted.tags or [],
            type=wanted.fields.get("type"),
            priority=wanted.fields.get("priority", "normal"),
            status=wanted.fields.get("status"),
            team=wanted.fields.get("team"),
            assignee=wanted.fields.get("assignee"),
            due_at=wanted.fields.get("due_at"),
        )
    return ticket, ticket.messages.order_by("created_at", "id").first()


def _subject_from(comment: reading.NewComment) -> str:
    line = next((part.strip() for part in comment.text.splitlines() if part.strip()), "")
    if not line:
        raise invalid("subject", _("Give a subject."))
    return line[:80]


def change_ticket(ticket: Ticket, raw: dict[str, Any], user: User) -> Message | None:
    """Apply an update body as one change: its comment first, then fields and tags.

    The comment goes first so a "reply and solve" reads in that order, as
    the desk's "send as solved" does. A refused part (a light agent's public
    comment, a closed ticket) refuses the whole body.
    """
    wanted = reading.read(raw)
    fields = dict(wanted.fields)
    if "requester_id" in raw or "requester" in raw:
        fields["requester"] = reading.requester(raw, None)
    message = None
    with actions.unit_of_work():
        if wanted.comment is not None:
            kind, channel, meta = _comment_route(ticket, wanted.comment, user)
            message = actions.add_message(
                ticket,
                kind=kind,
                actor=user,
                via=Via.API,
                text=wanted.comment.text,
                html=wanted.comment.html,
                channel=channel,
                meta=meta,
            )
        if fields:
            actions.update_ticket(ticket, actor=user, via=Via.API, **fields)
        tags = _final_tags(sorted(t.name for t in ticket.tags.all()), wanted)
        if tags is not None:
            actions.set_tags(ticket, tags, actor=user, via=Via.API)
    return message


def _comment_route(
    ticket: Ticket, comment: reading.NewComment, user: User
) -> tuple[str, str, dict | None]:
    if not comment.public:
        return MessageKind.INTERNAL, Channel.MANUAL, None
    actions.check_can_write_message(user, MessageKind.PUBLIC)
    try:
        channel, meta = public_reply_route(ticket, comment.text)
    except ApiError as exc:
        raise invalid("comment", exc.message) from exc
    return MessageKind.PUBLIC, channel, meta


def _final_tags(current: list[str], wanted: reading.TicketChanges) -> list[str] | None:
    if wanted.tags is None and not wanted.add_tags and not wanted.remove_tags:
        return None
    tags = list(wanted.tags if wanted.tags is not None else current)
    tags += [t for t in wanted.add_tags if t not in tags]
    return [t for t in tags if t not in set(wanted.remove_tags)]
