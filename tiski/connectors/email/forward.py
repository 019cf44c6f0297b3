"""Forwarding a ticket, or one of its messages, to an outside address.

The forward is an email of its own (kind ``forward`` in the outbox) with
the agent's note on top, the conversation quoted below it and the
messages' files attached. It is recorded on the ticket as an internal
note ("Forwarded to ...") written through the ticket actions, so the
forward is in the conversation and its audit trail, and the note carries
the outbox row's delivery state like a reply does. Internal notes are
never forwarded: the outside reader gets what the customer could see.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tiski.connectors import outbox
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Ticket, Via

from .outbound import mailbox_for

FORWARDED_KINDS = (MessageKind.CUSTOMER, MessageKind.PUBLIC, MessageKind.CALL)


def forwarded_messages(ticket: Ticket, message: Message | None = None) -> list[Message]:
    if message is not None:
        return [message]
    return list(
        ticket.messages.filter(kind__in=FORWARDED_KINDS)
        .select_related("author_user", "author_contact")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def quoted(messages: Sequence[Message]) -> str:
    """The messages as a mail client quotes a forward: a header block, then the text."""
    parts = []
    for message in messages:
        when = formats.date_format(timezone.localtime(message.created_at), "SHORT_DATETIME_FORMAT")
        parts.append(
            "\n".join(
                [
                    _("---------- Forwarded message ----------"),
                    _("From: %(name)s") % {"name": message.author_name},
                    _("Date: %(date)s") % {"date": when},
                    "",
                    message.text.strip(),
                ]
            )
        )
    return "\n\n".join(parts)


@transaction.atomic
def forward(
    ticket: Ticket,
    *,
    to: Sequence[str],
    actor,  # type: ignore[no-untyped-def]
    note: str = "",
    message: Message | None = None,
    mailbox: Mailbox | None = None,
) -> OutboundEmail:
    """Email the ticket (or ``message``) to ``to`` and record it on the ticket."""
    actions.check_can_write_message(actor, MessageKind.PUBLIC)
    if not to:
        raise ValidationError(_("Give the address to forward to."))
    if message is not None and message.kind not in FORWARDED_KINDS:
        raise ValidationError(_("Internal notes are not forwarded."))
    mailbox = mailbox or mailbox_for(ticket)
    if mailbox is None:
        raise ValidationError(_("No mailbox is set up to send from."))
    messages = forwarded_messages(ticket, message)
    files = [a.pk for m in messages for a in m.attachments.all() if not a.inline]
    recipients = ", ".join(to)
    record = _("Forwarded to %(to)s.") % {"to": recipients}
    if message is not None:
        record = _("Message from %(name)s forwarded to %(to)s.") % {
            "name": message.author_name,
            "to": recipients,
        }
    if note.strip():
        record += "\n\n" + note.strip()
    recorded = actions.add_message(
        ticket,
        kind=MessageKind.INTERNAL,
        actor=actor,
        via=Via.AGENT,
        text=record,
        meta={
            "forwarded_to": list(to),
            "forwarded_message": message.pk if message is not None else None,
            "forward_attachments": files,
        },
    )
    body = f"{note.strip()}\n\n{quoted(messages)}" if note.strip() else quoted(messages)
    row = outbox.queue_email(
        ticket=ticket,
        to=to,
        subject=f"Fwd: {ticket.subject}",
        text=body,
        kind=OutboundKind.FORWARD,
        automatic=False,
        message=recorded,
        mailbox=mailbox,
    )
    assert row is not None  # a mailbox was given
    return row
