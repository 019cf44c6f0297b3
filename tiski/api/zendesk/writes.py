"""A Zendesk ticket body applied through the ticket actions, marked *via API*.

Used by the ``/api/v2/`` views, the bulk jobs and the demo, so the demo's
"old Zendesk script" ticket is written exactly as a real script's would be.

Whose words a comment is follows Zendesk: the comment's ``author_id``, else
(on a new ticket) the ``submitter_id``, else the user the token belongs to.
An end user's comment is a customer message; the caller's own public comment
is a public reply, sent on the conversation's route like the desk's, and a
private one an internal note. A new ticket without a requester has the
caller as requester too, so its first comment is the requester's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from tiski.customers.models import Contact
from tiski.tickets import actions
from tiski.tickets.models import Channel, Message, MessageKind, Ticket, Via

from ..endpoints.messages import public_reply_route
from ..errors import ApiError
from . import changes as reading
from . import mapping
from .errors import invalid

if TYPE_CHECKING:
    from tiski.accounts.models import User


@dataclass(frozen=True)
class Author:
    """Who a comment is from: an end user (``contact``), or the caller when None."""

    contact: Contact | None = None


CALLER = Author()


def comment_author(raw: dict[str, Any], user: User, requester: Contact | None) -> Author:
    """The comment's author from ``author_id`` (or ``submitter_id`` on a new ticket).

    Only the ticket's requester may be named as an end-user author, and an
    agent only as themself: a token writes as its own user, never as a
    colleague (Zendesk lets admins do that; Tiski keeps one author per token).
    """
    comment = raw.get("comment") if isinstance(raw.get("comment"), dict) else {}
    name, value = "comment.author_id", comment.get("author_id")
    if value is None and requester is not None and "submitter_id" in raw:
        name, value = "submitter_id", raw["submitter_id"]
    if value is None:
        return CALLER
    user_id = reading.whole_number(value, name)
    if user_id == user.pk:
        return CALLER
    if requester is not None and user_id == mapping.contact_user_id(requester.pk):
        return Author(contact=requester)
    raise invalid(name, _("A comment can be written as yourself or as the ticket's requester."))


def open_ticket(raw: dict[str, Any], user: User) -> tuple[Ticket, Message]:
    """A new ticket with its first comment, whose author is read as Zendesk reads it."""
    wanted = reading.read(raw)
    if wanted.comment is None and raw.get("description"):
        wanted.comment = reading.comment({"body": raw["description"]})
    if wanted.comment is None:
        raise invalid("comment", _("A new ticket needs a comment (or a description)."))
    subject = wanted.fields.pop("subject", "") or _subject_from(wanted.comment)
    named = raw.get("requester_id") is not None or isinstance(raw.get("requester"), dict)
    with actions.unit_of_work():
        requester = reading.requester(raw, user)
        # Without a requester the caller is the requester: their words, as before.
        author = comment_author(raw, user, requester) if named else Author(contact=requester)
        by_caller = author.contact is None
        first_kind = MessageKind.INTERNAL
        if not by_caller and wanted.comment.public:
            first_kind = MessageKind.CUSTOMER
        ticket = actions.create_ticket(
            requester=requester,
            subject=subject,
            actor=user,
            via=Via.API,
            channel=Channel.API,
            # The caller's public comment is a reply, added below on its route.
            text="" if by_caller and wanted.comment.public else wanted.comment.text,
            html="" if by_caller and wanted.comment.public else wanted.comment.html,
            first_message_kind=first_kind,
            tags=wanted.tags or [],
            type=wanted.fields.get("type"),
            priority=wanted.fields.get("priority", "normal"),
            status=wanted.fields.get("status"),
            team=wanted.fields.get("team"),
            assignee=wanted.fields.get("assignee"),
            due_at=wanted.fields.get("due_at"),
        )
        if by_caller and wanted.comment.public:
            add_comment(ticket, wanted.comment, CALLER, user)
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
            author = comment_author(raw, user, ticket.requester)
            message = add_comment(ticket, wanted.comment, author, user)
        if fields:
            actions.update_ticket(ticket, actor=user, via=Via.API, **fields)
        tags = _final_tags(sorted(t.name for t in ticket.tags.all()), wanted)
        if tags is not None:
            actions.set_tags(ticket, tags, actor=user, via=Via.API)
    return message


def add_comment(ticket: Ticket, comment: reading.NewComment, author: Author, user: User) -> Message:
    if author.contact is not None and comment.public:
        # The requester's own words, relayed by an integration (a shop, a CRM).
        return actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=user,
            via=Via.API,
            text=comment.text,
            html=comment.html,
            channel=Channel.API,
            author_contact=author.contact,
            meta={"entered_by": user.pk},
        )
    kind, channel, meta = comment_route(ticket, comment, user)
    return actions.add_message(
        ticket,
        kind=kind,
        actor=user,
        via=Via.API,
        text=comment.text,
        html=comment.html,
        channel=channel,
        meta=meta,
    )


def comment_route(
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
