"""The outbox: every email Tiski sends is a row first, then a task sends it.

``queue_email`` is the one way to send mail to a customer. It fixes the
whole message when the row is written (Message-ID, threading headers,
subject, Reply-To with the reply token, final bodies with signatures), so a
retry sends exactly what was decided, and schedules the sending task after
the commit. If the broker loses the hand-off, ``sweep_outbox`` finds the
row again.

Automatic mail (acknowledgements, rule mails, notifications) passes the
loop rules of ``email/loops.py`` first. Mail that must not go out is still
written, with status ``suppressed`` and the reason in ``last_error``: the
agent asking "why did the customer get no acknowledgement?" gets an
answer, and the hourly cap counts only rows that really went out.

At most once: a row is claimed (``queued``/``retrying`` -> ``sending``)
before the network is touched, and only a claimed row is sent. A process
that dies mid-send leaves the row in ``sending``; we cannot know whether
the server accepted the mail, so the sweeper does not resend it but marks
it failed with an explanation, and an agent decides with the Retry button.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tiski.connectors import sending
from tiski.connectors.email import compose, loops
from tiski.connectors.email.threading import make_reply_token
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind, OutboundStatus
from tiski.customers.models import Identity, IdentityKind
from tiski.tickets.automatic_mail import QueuedMail
from tiski.tickets.models import Message, MessageKind

if TYPE_CHECKING:
    from tiski.tickets.models import Ticket

log = logging.getLogger(__name__)

DEFAULT_AUTOMATIC_MAIL_PER_HOUR = 3
SEND_TASK = "tiski.connectors.send_outbound"

# Stored in English like the loop reasons (see email/loops.py).
REASON_INTERRUPTED = (
    "Sending was interrupted (the worker stopped) and it is not known whether the mail "
    "server accepted the message. Check with the customer, or retry to send it again."
)
REASON_ALL_UNDELIVERABLE = "Not sent: every recipient is marked undeliverable (%(reasons)s)."
REASON_NO_RECIPIENTS = "Not sent: no recipient address."
REASON_NO_MAILBOX = "no mailbox to send from"

# Automatic rows that count towards the hourly cap: the ones that went out
# or are about to.
_COUNTED = (
    OutboundStatus.QUEUED,
    OutboundStatus.SENDING,
    OutboundStatus.SENT,
    OutboundStatus.RETRYING,
)
# Messages whose Message-IDs belong to the conversation (not bounces or notes).
_THREAD_KINDS = (MessageKind.CUSTOMER, MessageKind.PUBLIC)


# --- helpers that look things up -----------------------------------------------


def own_addresses() -> set[str]:
    """Base addresses of all our mailboxes, active or not."""
    return {loops.base_address(a) for a in Mailbox.objects.values_list("address", flat=True)}


def undeliverable(addresses: Iterable[str]) -> dict[str, str]:
    """address -> reason for the addresses marked undeliverable."""
    wanted = {a.strip().lower() for a in addresses if a}
    if not wanted:
        return {}
    return dict(
        Identity.objects.filter(
            kind=IdentityKind.EMAIL, value__in=wanted, undeliverable_at__isnull=False
        ).values_list("value", "undeliverable_reason")
    )


def automatic_sent_last_hour(addresses: Iterable[str], *, now: datetime) -> dict[str, int]:
    """How many automatic mails each address got in the hour before ``now``.

    Read in Python rather than with a JSON lookup: SQLite has no JSON
    ``contains``, and an hour of automatic mail is a short list (the
    ``outbox_automatic`` index finds it).
    """
    wanted = {a.strip().lower() for a in addresses if a}
    counts = dict.fromkeys(wanted, 0)
    rows = OutboundEmail.objects.filter(
        automatic=True, created_at__gte=now - timedelta(hours=1), status__in=_COUNTED
    ).values_list("to", "cc")
    for to, cc in rows:
        for address in {a.lower() for a in [*(to or []), *(cc or [])]}:
            if address in counts:
                counts[address] += 1
    return counts


def automatic_mail_per_hour() -> int:
    return int(getattr(settings, "TISKI_AUTOMATIC_MAIL_PER_HOUR", DEFAULT_AUTOMATIC_MAIL_PER_HOUR))


def _latest_customer_message(ticket: Ticket) -> Message | None:
    """The customer's side's latest word: their message, or the automatic
    reply their system sent (kept as a system message, see intake)."""
    return (
        ticket.messages.filter(
            Q(kind=MessageKind.CUSTOMER) | Q(kind=MessageKind.SYSTEM, meta__has_key="auto_reply")
        )
        .order_by("-created_at", "-id")
        .first()
    )


def _thread_ids(ticket: Ticket, in_reply_to: Message | None) -> tuple[str, list[str]]:
    """(In-Reply-To, References) from the Message-IDs stored on the ticket."""
    parent = in_reply_to if in_reply_to is not None and in_reply_to.external_id else None
    if parent is None:
        parent = (
            ticket.messages.filter(kind=MessageKind.CUSTOMER)
            .exclude(external_id="")
            .order_by("-created_at", "-id")
            .first()
        )
    ids = list(
        ticket.messages.filter(kind__in=_THREAD_KINDS)
        .exclude(external_id="")
        .order_by("created_at", "id")
        .values_list("external_id", flat=True)
    )
    if parent is None:
        return "", compose.bounded_references(ids)
    # The parent's id ends the chain, as a mail client would write it.
    ids = [i for i in ids if i != parent.external_id] + [parent.external_id]
    return parent.external_id, compose.bounded_references(ids)


def _loop_reason(message: Message | None) -> str:
    """Why mail answering ``message`` must not be automatic, or ""."""
    if message is None:
        return ""
    meta = message.meta or {}
    if message.kind == MessageKind.SYSTEM and isinstance(meta.get("auto_reply"), dict):
        return meta["auto_reply"].get("why") or loops.REASON_AUTOMATIC
    if message.kind != MessageKind.CUSTOMER:
        return ""
    if meta.get("suppress_automatic_mail"):
        return loops.REASON_IMPORTED
    if meta.get("bounce"):
        return loops.REASON_NULL_RETURN_PATH
    if meta.get("auto_submitted"):
        return meta.get("auto_reason") or loops.REASON_AUTOMATIC
    return ""


def _clean(addresses: Iterable[str]) -> list[str]:
    out: list[str] = []
    for address in addresses:
        address = (address or "").strip().strip("<>").lower()
        if address and address not in out:
            out.append(address)
    return out


# --- queueing --------------------------------------------------------------------


def queue_email(
    *,
    ticket: Ticket,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    kind: str,
    automatic: bool,
    message: Message | None = None,
    mailbox: Mailbox | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    in_reply_to_message: Message | None = None,
    from_name: str | None = None,
    now: datetime | None = None,
) -> OutboundEmail | None:
    """Write an outbox row for one email about ``ticket`` and send it after commit.

    Returns the row: ``queued``, or ``suppressed`` (automatic mail the loop
    rules stopped; the reason in ``last_error``), or ``failed`` (every
    recipient is known to be undeliverable). Returns None only when there
    is no mailbox to send from.

    Attachments are the ones of ``message`` (read when sending). Automatic
    mail carries ``Auto-Submitted: auto-replied``; people's replies do not.
    """
    if kind not in OutboundKind.values:
        raise ValueError(f"unknown outbound kind {kind!r}")
    if mailbox is None:
        mailbox = Mailbox.objects.filter(active=True).order_by("id").first()
    if mailbox is None:
        log.warning("No mailbox to send mail for ticket %s from", ticket.number)
        return None
    now = now or timezone.now()
    ours = own_addresses()
    to_list = _clean(to)
    cc_list = [a for a in _clean(cc) if a not in to_list]
    # Blind copies only for people's mail: a rule has no business hiding recipients.
    bcc_list = [] if automatic else [a for a in _clean(bcc) if a not in to_list + cc_list]
    if not automatic:
        # Mail to our own mailboxes would come straight back in as a new
        # message. (Automatic mail reports it as a reason, below.)
        to_list = [a for a in to_list if loops.base_address(a) not in ours]
        cc_list = [a for a in cc_list if loops.base_address(a) not in ours]
        bcc_list = [a for a in bcc_list if loops.base_address(a) not in ours]
    status = OutboundStatus.QUEUED
    reasons: list[str] = []
    bad = undeliverable([*to_list, *cc_list, *bcc_list])

    if automatic:
        # Automatic mail about a ticket answers its latest customer message
        # unless told otherwise: a rule mail after an out-of-office reply
        # must not start a loop either.
        trigger = in_reply_to_message or message or _latest_customer_message(ticket)
        loop_reason = _loop_reason(trigger)
        if loop_reason:
            status, reasons = OutboundStatus.SUPPRESSED, [loop_reason]
        elif not to_list:
            status, reasons = OutboundStatus.SUPPRESSED, [loops.REASON_NO_ADDRESS]
        else:
            counts = automatic_sent_last_hour([*to_list, *cc_list], now=now)
            limit = automatic_mail_per_hour()

            def allowed(address: str) -> bool:
                reason = loops.recipient_block_reason(
                    address,
                    own_addresses=ours,
                    undeliverable_reason=bad.get(address),
                    sent_last_hour=counts.get(address, 0),
                    per_hour=limit,
                )
                if reason:
                    reasons.append(reason)
                return not reason

            to_sent = [a for a in to_list if allowed(a)]
            cc_list = [a for a in cc_list if allowed(a)]
            if to_sent:
                if reasons:  # some copies dropped; the mail still goes to the rest
                    log.info("Automatic mail for #%s: %s", ticket.number, "; ".join(reasons))
                    reasons = []
                to_list = to_sent
            else:
                status = OutboundStatus.SUPPRESSED
    else:
        # A person wrote this: send it, but not to addresses known to bounce.
        cc_list = [a for a in cc_list if a not in bad]
        bcc_list = [a for a in bcc_list if a not in bad]
        deliverable = [a for a in to_list if a not in bad]
        if not to_list:
            status, reasons = OutboundStatus.FAILED, [REASON_NO_RECIPIENTS]
        elif not deliverable:
            status = OutboundStatus.FAILED
            reasons = [
                REASON_ALL_UNDELIVERABLE
                % {"reasons": "; ".join(f"{a}: {bad[a] or 'bounced'}" for a in to_list)}
            ]
        else:
            to_list = deliverable

    domain = compose.address_domain(mailbox.address)
    in_reply_to, references = _thread_ids(ticket, in_reply_to_message)
    mailbox_name = mailbox.display_name or ""
    agent = message.author_user if message is not None and not automatic else None
    if from_name is None:
        from_name = compose.sender_name(mailbox_name, agent.name if agent else "")
    signatures = [agent.signature if agent else "", mailbox.signature]
    body_text, body_html = compose.with_signatures(
        text, html or compose.text_to_html(text), signatures
    )

    with transaction.atomic():
        row = OutboundEmail.objects.create(
            mailbox=mailbox,
            ticket=ticket,
            message=message,
            kind=kind,
            automatic=automatic,
            from_name=from_name[:255],
            to=to_list,
            cc=cc_list,
            bcc=bcc_list,
            reply_to=compose.plus_address(mailbox.address, make_reply_token(ticket))[:320],
            subject=compose.ticket_subject(subject, ticket.number)[:500],
            body_text=body_text,
            body_html=body_html,
            rfc_message_id=compose.make_message_id(domain),
            in_reply_to=in_reply_to,
            references=compose.format_references(references),
            status=status,
            permanent_failure=status == OutboundStatus.FAILED,
            last_error="\n".join(reasons)[:5000],
            created_at=now,
            next_attempt_at=now,
        )
        if status == OutboundStatus.QUEUED:
            row_id = row.pk
            transaction.on_commit(lambda: enqueue(row_id))
    if status == OutboundStatus.SUPPRESSED:
        log.info("Automatic mail for ticket %s suppressed: %s", ticket.number, row.last_error)
    return row


def enqueue(outbound_id: int) -> None:
    """Hand the row to a worker; a lost hand-off is picked up by the sweeper."""
    sending.enqueue(SEND_TASK, outbound_id)


# --- after the fact: retries, sweeps, bounces --------------------------------------------


def retry(outbound: OutboundEmail) -> bool:
    """Queue a failed row again (the agent's Retry); False if it was not failed."""
    return sending.retry(OutboundEmail, outbound.pk, SEND_TASK)


def sweep_outbox(now: datetime | None = None) -> dict[str, int]:
    """Periodic: send due retries, re-queue lost hand-offs, flag interrupted sends."""
    return sending.sweep(OutboundEmail, SEND_TASK, interrupted=REASON_INTERRUPTED, now=now)


def mark_undeliverable(address: str, reason: str, *, now: datetime | None = None) -> int:
    """Mark an email identity undeliverable (a permanent bounce); returns rows changed."""
    return Identity.objects.filter(kind=IdentityKind.EMAIL, value=address.strip().lower()).update(
        undeliverable_at=now or timezone.now(), undeliverable_reason=reason[:500]
    )


def fail_bounced(rfc_message_id: str, recipients: Iterable[str], reason: str) -> bool:
    """Record a bounce on the outbox row it answers; True if the row now shows failed.

    The row fails when a main recipient bounced; a bounced copy (Cc) only
    adds a note, since the customer did get the mail.
    """
    row = OutboundEmail.objects.filter(rfc_message_id=rfc_message_id).first()
    if row is None:
        return False
    bounced = {a.strip().lower() for a in recipients}
    note = f"{', '.join(sorted(bounced))}: {reason}"[:5000]
    if bounced & {a.lower() for a in row.to}:
        OutboundEmail.objects.filter(pk=row.pk).update(
            status=OutboundStatus.FAILED, permanent_failure=True, last_error=note
        )
        return True
    OutboundEmail.objects.filter(pk=row.pk).update(
        last_error=f"{row.last_error}\n{note}".strip()[:5000]
    )
    return False


# --- the public way in for automatic mail ---------------------------------------------


def send_automatic_mail(
    *,
    ticket: Ticket,
    to: Sequence[str],
    subject: str,
    text: str,
    kind: str,
    html: str = "",
    from_address: str = "",
) -> QueuedMail:
    """``settings.TISKI_AUTOMATIC_MAIL``: rules' and surveys' mail (tickets/automatic_mail.py).

    Sent from ``from_address`` when it is one of our active mailboxes (the
    address the customer wrote to), else from the default mailbox.
    """
    mailbox = None
    if from_address:
        mailbox = Mailbox.objects.filter(address=from_address.lower(), active=True).first()
    row = queue_email(
        ticket=ticket,
        to=to,
        subject=subject,
        text=text,
        html=html,
        kind=kind,
        automatic=True,
        **({"mailbox": mailbox} if mailbox is not None else {}),
    )
    if row is None:
        return QueuedMail(None, sent=False, reason=REASON_NO_MAILBOX)
    if row.status in (OutboundStatus.SUPPRESSED, OutboundStatus.FAILED):
        return QueuedMail(row.pk, sent=False, reason=row.last_error or row.status)
    return QueuedMail(row.pk, sent=True)
