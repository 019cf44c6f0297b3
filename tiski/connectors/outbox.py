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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from tiski.connectors import sending
from tiski.connectors.email import compose, loops
from tiski.connectors.email.threading import make_reply_token, reply_signer
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind, OutboundStatus
from tiski.core import bulk
from tiski.customers.models import Identity, IdentityKind
from tiski.tickets.automatic_mail import AutomaticMail, QueuedMail
from tiski.tickets.models import Message, MessageKind, Ticket

if TYPE_CHECKING:
    from tiski.accounts.models import User

log = logging.getLogger(__name__)

DEFAULT_AUTOMATIC_MAIL_PER_HOUR = 3
# Addresses counted per hourly-cap query (SQLite allows 32,766 parameters).
CAP_ADDRESSES_PER_QUERY = 500
SEND_TASK = "tiski.connectors.send_outbound"
# Rows queued together (a time rule's chunk) go to the workers this many to
# a message: few enough that several workers still share a big batch.
SEND_MANY_TASK = "tiski.connectors.send_outbound_many"
SEND_PER_MESSAGE = 50

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

    Counted by the database: the last hour's automatic mail that went out
    or is about to (the ``outbox_automatic`` index finds it) is spread into
    each row's distinct recipients, To and Cc, and only the wanted
    addresses are counted. A backlog pass writes thousands of automatic
    mails an hour; reading them back into Python for every chunk of new
    ones grew with the pass. Addresses are stored lower-cased (`_clean`).
    """
    wanted = sorted({a.strip().lower() for a in addresses if a})
    counts = dict.fromkeys(wanted, 0)
    if not wanted:
        return counts
    recent = OutboundEmail.objects.filter(
        automatic=True, created_at__gte=now - timedelta(hours=1), status__in=_COUNTED
    ).values("id", "to", "cc")
    rows_sql, rows_params = recent.query.sql_with_params()
    postgresql = connection.vendor == "postgresql"
    for start in range(0, len(wanted), CAP_ADDRESSES_PER_QUERY):
        some = wanted[start : start + CAP_ADDRESSES_PER_QUERY]
        spread = [
            f"SELECT m.id, LOWER(r.value) AS address FROM ({rows_sql}) AS m, "
            + (
                f"jsonb_array_elements_text(CASE WHEN jsonb_typeof(m.{column}) = 'array' "
                f"THEN m.{column} ELSE '[]'::jsonb END) AS r(value)"
                if postgresql
                else f"json_each(CASE WHEN json_type(m.{column}) = 'array' "
                f"THEN m.{column} ELSE '[]' END) AS r"
            )
            for column in ('"to"', '"cc"')
        ]
        # UNION, not UNION ALL: a mail counts once per address, however
        # often it names it.
        sql = (
            f"SELECT address, COUNT(*) FROM ({spread[0]} UNION {spread[1]}) AS named "
            f"WHERE address IN ({', '.join(['%s'] * len(some))}) GROUP BY address"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*rows_params, *rows_params, *some])
            for address, count in cursor.fetchall():
                counts[address] = count
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
    return _chain(parent.external_id if parent is not None else "", ids)


def _chain(parent: str, ids: list[str]) -> tuple[str, list[str]]:
    """(In-Reply-To, References) answering ``parent`` ("": none) in a thread of ``ids``."""
    if not parent:
        return "", compose.bounded_references(ids)
    # The parent's id ends the chain, as a mail client would write it.
    ids = [i for i in ids if i != parent] + [parent]
    return parent, compose.bounded_references(ids)


def _threads_of(ticket_ids: list[int]) -> dict[int, tuple[str, list[str]]]:
    """`_thread_ids(ticket, None)` for many tickets in one query."""
    parents: dict[int, str] = {}
    ids: dict[int, list[str]] = {}
    for ticket_id, kind, external_id in (
        Message.objects.filter(ticket_id__in=ticket_ids, kind__in=_THREAD_KINDS)
        .exclude(external_id="")
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "external_id")
    ):
        ids.setdefault(ticket_id, []).append(external_id)
        if kind == MessageKind.CUSTOMER:
            parents[ticket_id] = external_id  # the latest one wins
    return {pk: _chain(parents.get(pk, ""), ids.get(pk, [])) for pk in ticket_ids}


def _latest_customer_messages(ticket_ids: list[int]) -> dict[int, Message]:
    """`_latest_customer_message` for many tickets in two queries."""
    latest = (
        Message.objects.filter(ticket_id=OuterRef("pk"))
        .filter(
            Q(kind=MessageKind.CUSTOMER) | Q(kind=MessageKind.SYSTEM, meta__has_key="auto_reply")
        )
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    found = dict(
        Ticket.objects.filter(pk__in=ticket_ids)
        .annotate(latest=Subquery(latest))
        .exclude(latest=None)
        .values_list("pk", "latest")
    )
    messages = Message.objects.in_bulk(found.values())
    return {ticket_id: messages[pk] for ticket_id, pk in found.items() if pk in messages}


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
        counts = (
            automatic_sent_last_hour([*to_list, *cc_list], now=now)
            if to_list and not _loop_reason(trigger)
            else {}
        )
        status, reasons, to_list, cc_list = _automatic_verdict(
            ticket, to_list, cc_list, trigger=trigger, ours=ours, bad=bad, counts=counts
        )
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

    in_reply_to, references = _thread_ids(ticket, in_reply_to_message)
    agent = message.author_user if message is not None and not automatic else None
    with transaction.atomic():
        row = _outbound_row(
            ticket=ticket,
            mailbox=mailbox,
            message=message,
            agent=agent,
            kind=kind,
            automatic=automatic,
            from_name=from_name,
            to=to_list,
            cc=cc_list,
            bcc=bcc_list,
            subject=subject,
            text=text,
            html=html,
            in_reply_to=in_reply_to,
            references=references,
            status=status,
            reasons=reasons,
            now=now,
        )
        row.save(force_insert=True)
        if status == OutboundStatus.QUEUED:
            row_id = row.pk
            transaction.on_commit(lambda: enqueue(row_id))
    if status == OutboundStatus.SUPPRESSED:
        log.info("Automatic mail for ticket %s suppressed: %s", ticket.number, row.last_error)
    return row


def _automatic_verdict(
    ticket: Ticket,
    to_list: list[str],
    cc_list: list[str],
    *,
    trigger: Message | None,
    ours: set[str],
    bad: dict[str, str],
    counts: dict[str, int],
) -> tuple[str, list[str], list[str], list[str]]:
    """Whether automatic mail goes out, by the loop rules: (status, reasons,
    to, cc). ``counts``: automatic mails per address in the last hour."""
    loop_reason = _loop_reason(trigger)
    if loop_reason:
        return OutboundStatus.SUPPRESSED, [loop_reason], to_list, cc_list
    if not to_list:
        return OutboundStatus.SUPPRESSED, [loops.REASON_NO_ADDRESS], to_list, cc_list
    limit = automatic_mail_per_hour()
    reasons: list[str] = []

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
    if not to_sent:
        return OutboundStatus.SUPPRESSED, reasons, to_list, cc_list
    if reasons:  # some copies dropped; the mail still goes to the rest
        log.info("Automatic mail for #%s: %s", ticket.number, "; ".join(reasons))
    return OutboundStatus.QUEUED, [], to_sent, cc_list


def _outbound_row(
    *,
    ticket: Ticket,
    mailbox: Mailbox,
    message: Message | None,
    agent: User | None,
    kind: str,
    automatic: bool,
    from_name: str | None,
    to: list[str],
    cc: list[str],
    bcc: list[str],
    subject: str,
    text: str,
    html: str,
    in_reply_to: str,
    references: list[str],
    status: str,
    reasons: list[str],
    now: datetime,
    signer: signing.Signer | None = None,
) -> OutboundEmail:
    """The unsaved outbox row with the whole message fixed (see the module docstring).

    ``signer``: the reply tokens' `reply_signer`, made once for a batch."""
    domain = compose.address_domain(mailbox.address)
    mailbox_name = mailbox.display_name or ""
    if from_name is None:
        from_name = compose.sender_name(mailbox_name, agent.name if agent else "")
    signatures = [agent.signature if agent else "", mailbox.signature]
    body_text, body_html = compose.with_signatures(
        text, html or compose.text_to_html(text), signatures
    )
    return OutboundEmail(
        mailbox=mailbox,
        ticket=ticket,
        message=message,
        kind=kind,
        automatic=automatic,
        from_name=from_name[:255],
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=compose.plus_address(mailbox.address, make_reply_token(ticket, signer))[:320],
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


def send_automatic_mails(mails: Sequence[AutomaticMail]) -> list[QueuedMail]:
    """`send_automatic_mail` for many mails at once (a time rule's chunk of
    reminders), through `queue_automatic_emails`; one result each, in order."""
    wanted = {mail.from_address.lower() for mail in mails if mail.from_address}
    by_address = (
        {box.address: box for box in Mailbox.objects.filter(address__in=wanted, active=True)}
        if wanted
        else {}
    )
    rows = queue_automatic_emails(
        [
            AutomaticEmail(
                ticket=mail.ticket,
                to=mail.to,
                subject=mail.subject,
                text=mail.text,
                html=mail.html,
                kind=mail.kind,
                mailbox=by_address.get(mail.from_address.lower()),
            )
            for mail in mails
        ]
    )
    results: list[QueuedMail] = []
    for row in rows:
        if row is None:
            results.append(QueuedMail(None, sent=False, reason=REASON_NO_MAILBOX))
        elif row.status in (OutboundStatus.SUPPRESSED, OutboundStatus.FAILED):
            results.append(QueuedMail(row.pk, sent=False, reason=row.last_error or row.status))
        else:
            results.append(QueuedMail(row.pk, sent=True))
    return results


@dataclass(frozen=True)
class AutomaticEmail:
    """One mail for `queue_automatic_emails`: `queue_email`'s arguments for
    automatic mail (no mailbox: the default one)."""

    ticket: Ticket
    to: Sequence[str]
    subject: str
    text: str
    kind: str
    html: str = ""
    mailbox: Mailbox | None = None


def queue_automatic_emails(
    mails: Sequence[AutomaticEmail], *, now: datetime | None = None
) -> list[OutboundEmail | None]:
    """``queue_email(automatic=True, ...)`` for many mails, one row (or None) each, in order.

    Each mail is decided and rendered as `queue_email` would, in order, with
    the same loop rules (a mail queued earlier in the batch counts towards
    the hourly cap of the next); what they read (the default mailbox, our
    own, undeliverable and capped addresses, each ticket's latest customer
    message and thread) is read once for all, and the rows are inserted in
    one statement.
    """
    if not mails:
        return []
    now = now or timezone.now()
    default = Mailbox.objects.filter(active=True).order_by("id").first()
    ours = own_addresses()
    recipients = [_clean(mail.to) for mail in mails]
    everybody = {address for to in recipients for address in to}
    bad = undeliverable(everybody)
    counts = automatic_sent_last_hour(everybody, now=now)
    ticket_ids = list({mail.ticket.pk for mail in mails})
    triggers = _latest_customer_messages(ticket_ids)
    threads = _threads_of(ticket_ids)

    kinds = set(OutboundKind.values)  # a new list on every read of `values`
    signer = reply_signer()
    rows: list[OutboundEmail | None] = []
    for mail, to_list in zip(mails, recipients, strict=True):
        if mail.kind not in kinds:
            raise ValueError(f"unknown outbound kind {mail.kind!r}")
        mailbox = mail.mailbox or default
        if mailbox is None:
            log.warning("No mailbox to send mail for ticket %s from", mail.ticket.number)
            rows.append(None)
            continue
        status, reasons, to_list, cc_list = _automatic_verdict(
            mail.ticket,
            to_list,
            [],
            trigger=triggers.get(mail.ticket.pk),
            ours=ours,
            bad=bad,
            counts=counts,
        )
        if status == OutboundStatus.QUEUED:
            for address in {a.lower() for a in [*to_list, *cc_list]}:
                if address in counts:
                    counts[address] += 1
        else:
            log.info(
                "Automatic mail for ticket %s suppressed: %s",
                mail.ticket.number,
                "\n".join(reasons),
            )
        in_reply_to, references = threads[mail.ticket.pk]
        rows.append(
            _outbound_row(
                ticket=mail.ticket,
                mailbox=mailbox,
                message=None,
                agent=None,
                kind=mail.kind,
                automatic=True,
                from_name=None,
                to=to_list,
                cc=cc_list,
                bcc=[],
                subject=mail.subject,
                text=mail.text,
                html=mail.html,
                in_reply_to=in_reply_to,
                references=references,
                status=status,
                reasons=reasons,
                now=now,
                signer=signer,
            )
        )
    written = [row for row in rows if row is not None]
    with transaction.atomic():
        if connection.features.can_return_rows_from_bulk_insert:
            # A time-rule pass queues thousands: each text and HTML goes as one
            # array literal per column, not quoted value by value by psycopg.
            bulk.insert_instances(OutboundEmail, written)
        else:  # SQLite before 3.35: one by one, which sets each id
            for row in written:
                row.save(force_insert=True)
        queued = [row.pk for row in written if row.status == OutboundStatus.QUEUED]
        if queued:
            transaction.on_commit(
                lambda: sending.enqueue_many(
                    SEND_TASK, queued, many_task=SEND_MANY_TASK, per_message=SEND_PER_MESSAGE
                )
            )
    return rows


# tickets.automatic_mail.send_automatic_mails calls this form for a batch.
send_automatic_mail.send_many = send_automatic_mails  # type: ignore[attr-defined]
