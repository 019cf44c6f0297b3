"""From raw bytes to a message on a ticket, exactly once.

``accept`` is the only thing a source (IMAP poller, SMTP receiver, webhook,
import) calls: it stores the raw bytes and a receipt row, unique per
(source, key), and schedules processing after the commit. Only then may the
source be acknowledged. ``process_receipt`` is idempotent and never lets an
exception escape: a message that cannot be handled is quarantined with the
reason and the line moves on.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.channels.models import InboundReceipt, Mailbox, ReceiptStatus
from tiski.core.sanitize import sanitize_html
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Contact
from tiski.tickets import actions, changes
from tiski.tickets.models import Message, MessageKind, Status, Ticket, Via

from . import loops
from .parse import ParsedEmail, UnparsableEmail, parse_email
from .quotes import split_reply_html, split_reply_text
from .threading import ThreadDecision, find_thread

log = logging.getLogger(__name__)

CHANNEL = "email"
FOLDED_CLASS = "tiski-folded"

# Quarantine and duplicate reasons are stored in English, like log lines:
# they are read by admins and support engineers across languages and
# must not change with the language a worker happened to run in.
REASON_TOO_LARGE = "Message is %(size)d bytes, over the mailbox limit of %(limit)d."
REASON_UNPARSABLE = "Unparsable email: %(reason)s"
REASON_DUPLICATE = "Message-ID already stored: %(id)s"
REASON_NO_SENDER = "The message has no sender address."


class Outcome:
    CREATED = "created"
    THREADED = "threaded"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    BOUNCE_ATTACHED = "bounce_attached"
    BOUNCE_UNMATCHED = "bounce_unmatched"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Result:
    receipt: InboundReceipt
    outcome: str


class _Quarantine(Exception):
    """An expected reason to set a message aside (size, parse failure, no sender)."""


# --- accepting ------------------------------------------------------------------


def accept(
    *,
    source: str,
    key: str,
    raw: bytes,
    mailbox: Mailbox,
    suppress_automatic_mail: bool = False,
    schedule: bool = True,
) -> tuple[InboundReceipt, bool]:
    """Store the raw message durably; (receipt, created).

    The same (source, key) again returns the existing receipt and stores
    nothing. ``schedule=False`` leaves processing to the caller (the import
    command processes in order, synchronously).
    """
    key = key[:300]
    existing = InboundReceipt.objects.filter(source=source, key=key).first()
    if existing is not None:
        return existing, False
    receipt = InboundReceipt(
        source=source,
        key=key,
        mailbox=mailbox,
        size=len(raw),
        suppress_automatic_mail=suppress_automatic_mail,
    )
    try:
        with transaction.atomic():
            receipt.raw.save("message.eml", ContentFile(raw), save=False)
            receipt.save()
    except IntegrityError:
        # Another worker stored the same message a moment ago: theirs counts.
        if receipt.raw:
            receipt.raw.storage.delete(receipt.raw.name)
        return InboundReceipt.objects.get(source=source, key=key), False
    if schedule:
        receipt_id = receipt.pk
        transaction.on_commit(lambda: enqueue(receipt_id))
    return receipt, True


def enqueue(receipt_id: int) -> None:
    """Hand the receipt to a worker; a lost hand-off is picked up by the sweeper."""
    from tiski.channels.tasks import process_receipt as task

    try:
        task.delay(receipt_id)
    except Exception:  # noqa: BLE001 - the row is committed; sweep_pending retries it
        log.exception("Could not queue inbound receipt %s", receipt_id)


def sweep_pending(older_than: timedelta = timedelta(minutes=5)) -> int:
    """Re-queue receipts left pending (a crash or a lost broker message)."""
    cutoff = timezone.now() - older_than
    ids = list(
        InboundReceipt.objects.filter(status=ReceiptStatus.PENDING, received_at__lte=cutoff)
        .order_by("received_at", "id")
        .values_list("id", flat=True)
    )
    for receipt_id in ids:
        enqueue(receipt_id)
    return len(ids)


# --- processing -------------------------------------------------------------------


def process_receipt(receipt_id: int, *, force: bool = False) -> Result:
    """Process one receipt; safe to call any number of times.

    ``force`` re-runs a quarantined or duplicate receipt (the admin's
    "Re-process"); a receipt that already made its message is never run
    twice.
    """
    with transaction.atomic():
        receipt = (
            InboundReceipt.objects.select_for_update().select_related("mailbox").get(pk=receipt_id)
        )
        if receipt.status == ReceiptStatus.PROCESSED and (receipt.message_id or not force):
            return Result(receipt, Outcome.UNCHANGED)
        if receipt.status != ReceiptStatus.PENDING and not force:
            return Result(receipt, Outcome.UNCHANGED)
        receipt.attempts += 1
        try:
            # A savepoint: a failure half-way leaves no half-made ticket. One
            # change collection: a new ticket and its first message make one
            # TicketChange after commit, not two (SLA, routing, rules, search
            # and the push each ran twice per new ticket otherwise).
            with transaction.atomic(), changes.collecting():
                outcome = _process(receipt)
        except _Quarantine as exc:
            receipt.status, receipt.reason = ReceiptStatus.QUARANTINED, str(exc)
            receipt.ticket = receipt.message = None
            outcome = Outcome.QUARANTINED
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
            log.exception("Inbound receipt %s failed", receipt_id)
            lines = traceback.format_exception_only(type(exc), exc)
            receipt.status = ReceiptStatus.QUARANTINED
            receipt.reason = (lines[-1].strip() if lines else repr(exc))[:2000]
            receipt.ticket = receipt.message = None
            outcome = Outcome.QUARANTINED
        receipt.processed_at = timezone.now()
        receipt.save()
    return Result(receipt, outcome)


def _read_raw(receipt: InboundReceipt) -> bytes:
    with receipt.raw.open("rb") as handle:
        return handle.read()


_FI_WORDS = re.compile(
    r"\b(hei|kiitos|terveisin|ystävällisin|moi|tilaus|että|ja|on|ei)\b", re.IGNORECASE
)
_EN_WORDS = re.compile(
    r"\b(hello|hi|thanks|thank|regards|please|the|and|is|my|order)\b", re.IGNORECASE
)


def guess_language(text: str) -> str:
    """A rough fi/en guess for a new contact's language; Finnish when unsure."""
    sample = text[:2000]
    return "en" if len(_EN_WORDS.findall(sample)) > len(_FI_WORDS.findall(sample)) else "fi"


def _process(receipt: InboundReceipt) -> str:
    mailbox = receipt.mailbox
    if receipt.size > mailbox.max_raw_bytes:
        raise _Quarantine(REASON_TOO_LARGE % {"size": receipt.size, "limit": mailbox.max_raw_bytes})
    try:
        parsed = parse_email(_read_raw(receipt))
    except UnparsableEmail as exc:
        raise _Quarantine(REASON_UNPARSABLE % {"reason": exc.reason}) from exc

    if parsed.message_id and Message.objects.filter(external_id=parsed.message_id).exists():
        receipt.status = ReceiptStatus.DUPLICATE
        receipt.reason = REASON_DUPLICATE % {"id": parsed.message_id}
        return Outcome.DUPLICATE
    if parsed.is_bounce:
        return _process_bounce(receipt, parsed)
    if not parsed.sender.address:
        raise _Quarantine(REASON_NO_SENDER)

    contact, _created = get_or_create_contact(
        "email",
        parsed.sender.address,
        name=parsed.sender.name,
        language=guess_language(parsed.text),
    )
    decision = find_thread(parsed, mailbox)
    ticket = None
    if decision.ticket_id is not None:
        ticket = Ticket.objects.select_for_update().get(pk=decision.ticket_id)
        if ticket.status == Status.CLOSED:  # closed since the lookup
            decision = ThreadDecision(
                None, "new", f"{decision.reason}:{decision.matched}", follow_up_of=ticket.number
            )
            ticket = None
    created_at = _original_date(receipt, parsed)
    outcome = Outcome.THREADED
    if ticket is None:
        ticket = actions.create_ticket(
            requester=contact,
            subject=parsed.subject,
            actor=None,
            via=Via.CHANNEL,
            channel=CHANNEL,
            type=mailbox.default_type,
            team=mailbox.default_team,
            created_at=created_at,
        )
        outcome = Outcome.CREATED
    message = actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        channel=CHANNEL,
        author_contact=contact,
        external_id=parsed.message_id,
        created_at=created_at,
        attachments=_attachments(parsed),
        meta=_meta(receipt, parsed, decision),
        **_body(parsed),
    )
    _copy_people(ticket, parsed, contact)
    receipt.status, receipt.reason = ReceiptStatus.PROCESSED, ""
    receipt.ticket, receipt.message = ticket, message
    return outcome


# A mail to more people than this is a newsletter or a mass mailing, not a
# conversation whose members should all receive our replies.
MAX_COPIED_PEOPLE = 20


def _copy_people(ticket: Ticket, parsed: ParsedEmail, sender: Contact) -> None:
    """The people a customer copied become ticket CCs, and stay on our replies.

    Our own mailboxes (with or without +token) are never copied; a colleague
    of the requester who answers on the thread joins it the same way.
    """
    ours = set(Mailbox.objects.values_list("address", flat=True))

    def is_ours(address: str) -> bool:
        local, _at, domain = address.partition("@")
        return address in ours or f"{local.split('+', 1)[0]}@{domain}" in ours

    seen = {sender.pk, ticket.requester_id}
    people = [] if sender.pk == ticket.requester_id else [sender]
    for person in (*parsed.to, *parsed.cc)[:MAX_COPIED_PEOPLE]:
        address = (person.address or "").lower()
        if not address or "@" not in address or is_ours(address):
            continue
        contact, _created = get_or_create_contact("email", address, name=person.name or "")
        if contact.pk not in seen:
            seen.add(contact.pk)
            people.append(contact)
    if people:
        actions.add_ccs(ticket, people, actor=None, via=Via.CHANNEL)


def _original_date(receipt: InboundReceipt, parsed: ParsedEmail):  # type: ignore[no-untyped-def]
    # Imported history keeps its dates; live mail is dated when it reached us
    # (a sender's clock is not trusted for SLA purposes).
    if receipt.source == "import" and parsed.date is not None and parsed.date <= timezone.now():
        return parsed.date
    return None


def _body(parsed: ParsedEmail) -> dict[str, str]:
    text = parsed.text
    html = parsed.html
    if parsed.html_source:
        new, folded = split_reply_html(parsed.html_source)
        if folded:
            html = sanitize_html(new) + f'<div class="{FOLDED_CLASS}">{sanitize_html(folded)}</div>'
    if not text.strip() and not html.strip() and not parsed.attachments:
        text = _("(empty message)")
    return {"text": text, "html": html}


def _attachments(parsed: ParsedEmail) -> list[actions.NewAttachment]:
    return [
        actions.NewAttachment(
            filename=item.filename,
            content=ContentFile(item.data),
            content_type=item.content_type,
            content_id=item.content_id,
            inline=item.inline,
        )
        for item in parsed.attachments
    ]


def _meta(receipt: InboundReceipt, parsed: ParsedEmail, decision: ThreadDecision) -> dict:
    meta: dict = {
        "threading": decision.as_meta(),
        "cc": [a.address.lower() for a in parsed.cc],
        "to": [a.address.lower() for a in parsed.to],
        "auto_submitted": parsed.is_auto_submitted,
        "mailbox": receipt.mailbox.address,
        # The address the customer wrote from: replies and acknowledgements go there.
        "from": parsed.sender.address.lower(),
        "receipt": receipt.pk,
        "subject": parsed.subject,
    }
    if parsed.reply_to:
        meta["reply_to"] = [a.address for a in parsed.reply_to]
    if parsed.is_auto_submitted:
        # Why, in words, for the "not sent" note on a suppressed acknowledgement.
        meta["auto_reason"] = loops.inbound_auto_reason(parsed.headers, parsed.sender.address)
    if receipt.suppress_automatic_mail:
        meta["suppress_automatic_mail"] = True
    new, folded = split_reply_text(parsed.text)
    if folded:
        # The UI shows text[:fold_text_at] and folds the rest.
        meta["fold_text_at"] = len(new)
    if decision.follow_up_of is not None:
        meta["follow_up_of"] = decision.follow_up_of
    return meta


_SMTP_REPLY = re.compile(r"\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b[^\n]{0,200}")


def _bounce_reason(parsed: ParsedEmail) -> str:
    # The receiving server's answer ("550 5.1.1 User unknown") says it best;
    # otherwise the start of the report.
    found = _SMTP_REPLY.search(parsed.text)
    words = found.group(0).strip() if found else " ".join(parsed.text.split())[:200]
    return f"Bounced: {words}" if words else "Bounced"


def _process_bounce(receipt: InboundReceipt, parsed: ParsedEmail) -> str:
    from tiski.channels import outbox

    receipt.status = ReceiptStatus.PROCESSED
    original = parsed.bounce_original_message_id
    # A permanent failure report: the address stops getting automatic mail,
    # and our outgoing email it answers shows as failed on the ticket.
    reason = _bounce_reason(parsed)
    for address in parsed.bounce_recipients:
        outbox.mark_undeliverable(address, reason)
    if original and parsed.bounce_recipients:
        outbox.fail_bounced(original, parsed.bounce_recipients, reason)
    message = (
        Message.objects.select_related("ticket").filter(external_id=original).order_by("id").first()
        if original
        else None
    )
    if message is None:
        receipt.reason = "bounce without ticket"
        return Outcome.BOUNCE_UNMATCHED
    ticket = message.ticket
    if ticket.status == Status.CLOSED:
        receipt.reason = "bounce for a closed ticket"
        receipt.ticket = ticket
        return Outcome.BOUNCE_UNMATCHED
    recipients = ", ".join(parsed.bounce_recipients) or _("unknown recipient")
    text = _("Delivery failed: %(recipients)s") % {"recipients": recipients}
    if parsed.text.strip():
        text += "\n\n" + parsed.text.strip()[:5000]
    note = actions.add_message(
        ticket,
        kind=MessageKind.SYSTEM,
        actor=None,
        via=Via.CHANNEL,
        channel=CHANNEL,
        text=text,
        external_id=parsed.message_id,
        meta={
            "bounce": {
                "recipients": list(parsed.bounce_recipients),
                "original_message_id": original,
            },
            "auto_submitted": True,
            "receipt": receipt.pk,
        },
    )
    receipt.reason = ""
    receipt.ticket, receipt.message = ticket, note
    return Outcome.BOUNCE_ATTACHED
