"""Side conversations: an email thread with a third party about a ticket.

An agent writes to a supplier or another department from the ticket. The
mail goes through the outbox (kind ``side``) with the conversation's OWN
reply token (``tuki+s-<id>.<sig>@``) and its own Message-IDs, never the
ticket's: the third party's answer comes back to the conversation by the
token, or by In-Reply-To/References naming one of its mails, and intake
asks here first (`find_conversation`) before threading to a ticket. So a
reply-all that also reaches the address the customer wrote to still lands
in the side conversation, never in the customer's thread.

The messages are `SideMessage` rows, not ticket messages: the ticket's
conversation, its SLA clocks, rules and reports do not see them. The
ticket's timeline gets note-only events ("side conversation started with
x", "reply from x"), collected into one ticket change each, so the live
page refreshes and the search entry takes the new text in (see
`search_texts_sql`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from tiski.connectors import outbox
from tiski.connectors.models import (
    OutboundEmail,
    OutboundKind,
    OutboundStatus,
    SideConversation,
    SideMessage,
    SideStatus,
)
from tiski.tickets import changes, events
from tiski.tickets.actions import check_can_write_message, check_not_closed
from tiski.tickets.models import MessageKind, Ticket, Via

from . import compose
from .loops import base_address
from .outbound import mailbox_for
from .threading import message_ids_to_look_up, recipient_addresses

if TYPE_CHECKING:
    from tiski.accounts.models import User
    from tiski.connectors.models import InboundReceipt

    from .parse import ParsedEmail

# A salt of its own: a ticket's token never opens a side conversation, nor
# the other way round.
_TOKEN_SALT = "tiski.connectors.email.side-token"
_TOKEN = re.compile(r"^s-([0-9a-z]{1,13})\.([0-9a-f]{20})$")

STARTED = "started"
SENT = "sent"
REPLY = "reply"
CLOSED = "closed"
REOPENED = "reopened"


def _signature(value: str) -> str:
    # Lower-case hex: some servers lower-case an address's local part.
    signature = signing.Signer(salt=_TOKEN_SALT).signature(value)
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return raw.hex()[:20]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def make_side_token(conversation_id: int) -> str:
    value = _base36(conversation_id)
    return f"s-{value}.{_signature(value)}"


def read_side_token(address: str) -> int | None:
    """The conversation id in an address carrying a side token; None if absent or forged."""
    value = (address or "").strip().lower().rpartition("@")[0]
    if "+" not in value:
        return None
    match = _TOKEN.match(value.rpartition("+")[2])
    if not match or not constant_time_compare(_signature(match.group(1)), match.group(2)):
        return None
    return int(match.group(1), 36)


def _clean(addresses: Sequence[str]) -> list[str]:
    out: list[str] = []
    for address in addresses:
        address = (address or "").strip().strip("<>").lower()
        if address and address not in out:
            out.append(address)
    return out


# --- writing ----------------------------------------------------------------------


def check_can_send(actor: User | None) -> None:
    """Only agents who may write to people outside may write to a third party."""
    check_can_write_message(actor, MessageKind.PUBLIC)


def _queue(conversation: SideConversation, *, actor: User | None, text: str) -> SideMessage:
    """Write our mail of the conversation and its outbox row (sent after commit)."""
    ticket = conversation.ticket
    mailbox = mailbox_for(ticket)
    if mailbox is None:
        raise ValidationError(_("No mailbox is set up to send from."))
    ours = outbox.own_addresses()
    to = [a for a in conversation.to if base_address(a) not in ours]
    cc = [a for a in conversation.cc if base_address(a) not in ours and a not in to]
    if not to:
        raise ValidationError(_("Give the address to write to."))
    previous = list(
        conversation.messages.exclude(rfc_message_id="").values_list("rfc_message_id", flat=True)
    )
    agent_name = actor.name if actor is not None else ""
    body_text, body_html = compose.with_signatures(
        text,
        compose.text_to_html(text),
        [actor.signature if actor is not None else "", mailbox.signature],
    )
    subject = conversation.subject if not previous else f"Re: {conversation.subject}"
    now = timezone.now()
    row = OutboundEmail.objects.create(
        mailbox=mailbox,
        # No ticket: the ticket's outbox, delivery states and Thread-Index
        # belong to the customer's conversation.
        ticket=None,
        kind=OutboundKind.SIDE,
        automatic=False,
        from_name=compose.sender_name(mailbox.display_name or "", agent_name)[:255],
        to=to,
        cc=cc,
        reply_to=compose.plus_address(mailbox.address, make_side_token(conversation.pk))[:320],
        subject=subject[:500],
        body_text=body_text,
        body_html=body_html,
        rfc_message_id=compose.make_message_id(compose.address_domain(mailbox.address)),
        in_reply_to=previous[-1] if previous else "",
        references=compose.format_references(compose.bounded_references(previous)),
        status=OutboundStatus.QUEUED,
        created_at=now,
        next_attempt_at=now,
    )
    row_id = row.pk
    transaction.on_commit(lambda: outbox.enqueue(row_id))
    return SideMessage.objects.create(
        conversation=conversation,
        incoming=False,
        author_user=actor,
        from_address=mailbox.address,
        from_name=agent_name,
        text=text,
        rfc_message_id=row.rfc_message_id,
        outbound=row,
        created_at=now,
    )


@changes.collecting()
@transaction.atomic
def start(
    ticket: Ticket,
    *,
    actor: User | None,
    to: Sequence[str],
    subject: str,
    text: str,
    cc: Sequence[str] = (),
) -> SideConversation:
    """Start a side conversation on ``ticket`` and send its first mail."""
    check_can_send(actor)
    # A closed ticket is history (a new contact opens a new ticket); so is its work.
    check_not_closed(ticket)
    to_list = _clean(to)
    if not to_list:
        raise ValidationError(_("Give the address to write to."))
    if not subject.strip() or not text.strip():
        raise ValidationError(_("Write a subject and a message."))
    conversation = SideConversation.objects.create(
        ticket=ticket,
        subject=" ".join(subject.split())[:500],
        to=to_list,
        cc=[a for a in _clean(cc) if a not in to_list],
        created_by=actor,
    )
    _queue(conversation, actor=actor, text=text.strip())
    events.record_side_conversation(
        ticket,
        conversation.pk,
        what=STARTED,
        who=", ".join(to_list),
        actor=actor,
        via=Via.AGENT,
    )
    return conversation


@changes.collecting()
@transaction.atomic
def reply(conversation: SideConversation, *, actor: User | None, text: str) -> SideMessage:
    """Our next mail in the conversation; writing reopens a closed one."""
    check_can_send(actor)
    if not text.strip():
        raise ValidationError(_("Write a message."))
    conversation = SideConversation.objects.select_for_update().get(pk=conversation.pk)
    sent = _queue(conversation, actor=actor, text=text.strip())
    conversation.status = SideStatus.OPEN
    conversation.updated_at = sent.created_at
    conversation.save(update_fields=["status", "updated_at"])
    # No event for our own mail, but the ticket's search entry must take it in.
    changes.note_touched(
        conversation.ticket_id, via=Via.AGENT, actor_id=actor.pk if actor is not None else None
    )
    return sent


@changes.collecting()
@transaction.atomic
def close(conversation: SideConversation, *, actor: User | None) -> None:
    """Close the conversation; the third party's next mail opens it again."""
    check_can_send(actor)
    updated = SideConversation.objects.filter(pk=conversation.pk, status=SideStatus.OPEN).update(
        status=SideStatus.CLOSED, updated_at=timezone.now()
    )
    if updated:
        events.record_side_conversation(
            conversation.ticket,
            conversation.pk,
            what=CLOSED,
            who=", ".join(conversation.to),
            actor=actor,
            via=Via.AGENT,
        )


# --- search ---------------------------------------------------------------------------


def search_texts_sql() -> str:
    """The conversations' subjects and mails of ticket ``t``, for its search entry.

    Named in ``settings.TISKI_SEARCH_TEXT_SOURCES``: the search index adds
    these rows to the ticket's body, so a supplier's answer finds its ticket.
    """
    conversations = SideConversation._meta.db_table
    mails = SideMessage._meta.db_table
    return (
        f"SELECT sc.subject AS txt FROM {conversations} sc WHERE sc.ticket_id = t.id "
        f"UNION ALL SELECT sm.text AS txt FROM {mails} sm "
        f"JOIN {conversations} smc ON smc.id = sm.conversation_id WHERE smc.ticket_id = t.id"
    )


# --- the third party's mail ----------------------------------------------------------


def side_message_ids(batch: Sequence[ParsedEmail]) -> set[str]:
    """The Message-IDs these mails point at (In-Reply-To, References) that are
    side-conversation mails: one query for a whole batch.

    Nearly all mail answers no side conversation; with this set in hand
    `find_conversation` asks the database only for the few that may.
    """
    wanted = {message_id for parsed in batch for message_id in message_ids_to_look_up(parsed)}
    if not wanted:
        return set()
    return set(
        SideMessage.objects.filter(rfc_message_id__in=wanted).values_list(
            "rfc_message_id", flat=True
        )
    )


def find_conversation(
    parsed: ParsedEmail, known_ids: set[str] | None = None
) -> SideConversation | None:
    """The side conversation an incoming mail answers, or None for ticket threading.

    Our token in a recipient address decides (only the people we wrote to
    hold it). Else a Message-ID of the conversation in In-Reply-To or
    References, from someone of the conversation or of their domain: a
    Message-ID travels further than the people we wrote to.

    ``known_ids``: `side_message_ids` of the batch (kept up to date by the
    caller), so a mail pointing at none of them needs no query.
    """
    for address in recipient_addresses(parsed):
        conversation_id = read_side_token(address)
        if conversation_id is not None:
            found = SideConversation.objects.filter(pk=conversation_id).first()
            if found is not None:
                return found
    ids = message_ids_to_look_up(parsed)
    if not ids or (known_ids is not None and known_ids.isdisjoint(ids)):
        return None
    ours = (
        SideMessage.objects.filter(rfc_message_id__in=ids)
        .select_related("conversation")
        .order_by("-id")
        .first()
    )
    if ours is None:
        return None
    conversation = ours.conversation
    sender = parsed.sender.address.strip().lower()
    domains = {compose.address_domain(a) for a in conversation.participants}
    if sender in conversation.participants or compose.address_domain(sender) in domains:
        return conversation
    return None


@changes.collecting()
def receive(receipt: InboundReceipt, parsed: ParsedEmail, conversation: SideConversation) -> None:
    """Keep the third party's mail in its conversation; a closed one opens again."""
    conversation = (
        SideConversation.objects.select_for_update()
        .select_related("ticket")
        .get(pk=conversation.pk)
    )
    sender = parsed.sender.address.strip().lower()
    now = timezone.now()
    SideMessage.objects.create(
        conversation=conversation,
        incoming=True,
        from_address=sender,
        from_name=parsed.sender.name[:255],
        text=parsed.text,
        rfc_message_id=parsed.message_id[:500],
        created_at=now,
    )
    fields = ["updated_at"]
    if sender not in conversation.participants:
        # A colleague of the third party answering: our next mail reaches them too.
        conversation.cc = [*conversation.cc, sender]
        fields.append("cc")
    reopened = conversation.status == SideStatus.CLOSED
    conversation.status = SideStatus.OPEN
    conversation.updated_at = now
    conversation.save(update_fields=[*fields, "status"])
    who = f"{parsed.sender.name} <{sender}>" if parsed.sender.name else sender
    ticket = conversation.ticket
    if reopened:
        events.record_side_conversation(
            ticket, conversation.pk, what=REOPENED, who=who, actor=None, via=Via.CHANNEL
        )
    events.record_side_conversation(
        ticket, conversation.pk, what=REPLY, who=who, actor=None, via=Via.CHANNEL
    )
    receipt.ticket, receipt.message, receipt.reason = ticket, None, "side conversation"


def already_stored(message_ids: set[str]) -> set[str]:
    """Message-IDs of side mails we hold already (the same mail fetched twice)."""
    if not message_ids:
        return set()
    return set(
        SideMessage.objects.filter(rfc_message_id__in=message_ids, incoming=True).values_list(
            "rfc_message_id", flat=True
        )
    )
