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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tiski.connectors.models import InboundReceipt, Mailbox, ReceiptStatus
from tiski.connectors.receipts import accept, enqueue
from tiski.core.bulk import insert_instances, update_rows
from tiski.customers.actions import ContactWanted, get_or_create_contacts
from tiski.customers.models import Contact, NameSource
from tiski.tickets import actions
from tiski.tickets.models import UNSOLVED_STATUSES, Message, MessageKind, Status, Ticket, Via

from . import loops, side
from .parse import ParsedEmail, UnparsableEmail, parse_email
from .parse_pool import ParseOutcome
from .prepare import PreparedEmail, prepare
from .threading import (
    ThreadCandidates,
    ThreadDecision,
    TicketCandidate,
    decide_thread,
    find_candidates,
    message_ids_to_look_up,
)

log = logging.getLogger(__name__)

CHANNEL = "email"

# Quarantine and duplicate reasons are stored in English, like log lines:
# they are read by admins and support engineers across languages and
# must not change with the language a worker happened to run in.
REASON_TOO_LARGE = "Message is %(size)d bytes, over the mailbox limit of %(limit)d."
REASON_UNPARSABLE = "Unparsable email: %(reason)s"
REASON_DUPLICATE = "Message-ID already stored: %(id)s"
REASON_NO_SENDER = "The message has no sender address."
REASON_NO_MAILBOX = "The mailbox this message came to was deleted."
# Kept like a bounce without a ticket: processed, no ticket, this reason.
REASON_AUTO_REPLY_UNMATCHED = "automatic reply without a ticket: %(why)s"


class Outcome:
    CREATED = "created"
    THREADED = "threaded"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"
    BOUNCE_ATTACHED = "bounce_attached"
    BOUNCE_UNMATCHED = "bounce_unmatched"
    AUTO_REPLY_ATTACHED = "auto_reply_attached"
    AUTO_REPLY_UNMATCHED = "auto_reply_unmatched"
    SIDE = "side"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Result:
    receipt: InboundReceipt
    outcome: str


class _Quarantine(Exception):
    """An expected reason to set a message aside (size, parse failure, no sender)."""


# --- accepting ------------------------------------------------------------------


def accept_new(
    *,
    source: str,
    items: Sequence[tuple[str, bytes]],
    mailbox: Mailbox,
    suppress_automatic_mail: bool = False,
    stored: Sequence[str] | None = None,
) -> list[tuple[InboundReceipt, bool]]:
    """`accept` for many (key, raw) pairs whose keys the caller found new.

    One INSERT for all the rows (files are written first, one each). Nothing
    is scheduled: the caller processes them in the same transaction. If a
    key turns out to be taken after all (two imports of one file at once),
    the batch is accepted one by one, which sorts the winners out.
    ``stored``: the names of the raw files, one per item, when the caller
    has written them already (the importer, with `raw_writer`).
    """
    if stored is not None and len(stored) != len(items):
        raise ValueError("one stored file name per item")
    receipts = []
    for index, (key, raw) in enumerate(items):
        receipt = InboundReceipt(
            channel=CHANNEL,
            source=source,
            key=key[:300],
            mailbox=mailbox,
            size=len(raw),
            suppress_automatic_mail=suppress_automatic_mail,
        )
        if stored is not None:
            receipt.raw.name = stored[index]
        else:
            receipt.raw.save("message.eml", ContentFile(raw), save=False)
        receipts.append(receipt)
    try:
        with transaction.atomic():
            # bulk_create's rows, without its per-row preparation (core.bulk).
            insert_instances(InboundReceipt, receipts)
    except IntegrityError:
        for receipt in receipts:
            receipt.raw.storage.delete(receipt.raw.name)
        return [
            accept(
                source=source,
                key=key,
                raw=raw,
                mailbox=mailbox,
                suppress_automatic_mail=suppress_automatic_mail,
                schedule=False,
            )
            for key, raw in items
        ]
    return [(receipt, True) for receipt in receipts]


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
        # The mailbox may be gone (deleted mailboxes leave their receipts), so it
        # is an outer join, which PostgreSQL will not lock: lock the receipt only.
        receipt = (
            InboundReceipt.objects.select_for_update(of=("self",))
            .select_related("mailbox")
            .get(pk=receipt_id)
        )
        if receipt.status == ReceiptStatus.PROCESSED and (receipt.message_id or not force):
            return Result(receipt, Outcome.UNCHANGED)
        if receipt.status != ReceiptStatus.PENDING and not force:
            return Result(receipt, Outcome.UNCHANGED)
        return _run([receipt], [None])[0]


def process_accepted(
    receipts: Sequence[InboundReceipt], parsed: Sequence[ParseOutcome] | None = None
) -> list[Result]:
    """Process receipts that this transaction has just stored (the importer).

    No other transaction can see the rows yet, so there is nothing to lock
    or re-read, and the caller's transaction makes the receipts and their
    tickets durable together. They are processed as one batch, in order:
    the same decisions as one by one, in a handful of queries per table.
    ``parsed``: each message already parsed elsewhere (a parse worker), the
    exception its parsing raised, or None to parse here.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("process_accepted runs in the transaction that accepted the receipts")
    return _run(list(receipts), list(parsed) if parsed is not None else [None] * len(receipts))


def _run(receipts: list[InboundReceipt], given: list[ParseOutcome]) -> list[Result]:
    for receipt in receipts:
        receipt.attempts += 1
    try:
        # A savepoint: a failure half-way leaves no half-made ticket. One
        # change collection: a new ticket and its first message make one
        # TicketChange after commit, not two (SLA, routing, rules, search
        # and the push each ran twice per new ticket otherwise).
        with actions.unit_of_work():
            outcomes = _process_batch(receipts, given)
    except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
        if len(receipts) > 1:
            # Something in the batch broke it: take the messages one at a
            # time, so only the one at fault is set aside.
            log.warning("Inbound batch of %d failed; retrying one by one", len(receipts))
            results: list[Result] = []
            for receipt, item in zip(receipts, given, strict=True):
                _reset(receipt)
                results.extend(_run([receipt], [item]))
            return results
        log.exception("Inbound receipt %s failed", receipts[0].pk)
        lines = traceback.format_exception_only(type(exc), exc)
        _quarantine(receipts[0], (lines[-1].strip() if lines else repr(exc))[:2000])
        outcomes = [Outcome.QUARANTINED]
    now = timezone.now()
    for receipt in receipts:
        receipt.processed_at = now
    fields = ["status", "reason", "ticket", "message", "attempts", "processed_at"]
    if len(receipts) == 1:
        receipts[0].save(update_fields=fields)
    else:
        update_rows(InboundReceipt, receipts, fields)
    return [Result(r, o) for r, o in zip(receipts, outcomes, strict=True)]


def _reset(receipt: InboundReceipt) -> None:
    receipt.attempts -= 1
    receipt.status, receipt.reason = ReceiptStatus.PENDING, ""
    receipt.ticket = receipt.message = None


def _quarantine(receipt: InboundReceipt, reason: str) -> str:
    receipt.status, receipt.reason = ReceiptStatus.QUARANTINED, reason
    receipt.ticket = receipt.message = None
    return Outcome.QUARANTINED


def _read_raw(receipt: InboundReceipt) -> bytes:
    with receipt.raw.open("rb") as handle:
        return handle.read()


def _parsed(receipt: InboundReceipt, given: ParseOutcome) -> ParsedEmail | PreparedEmail:
    mailbox = receipt.mailbox
    if mailbox is None:  # deleted in Settings after the message was kept aside
        raise _Quarantine(REASON_NO_MAILBOX)
    if receipt.size > mailbox.max_raw_bytes:
        raise _Quarantine(REASON_TOO_LARGE % {"size": receipt.size, "limit": mailbox.max_raw_bytes})
    try:
        if isinstance(given, BaseException):
            raise given
        # A parse worker's mail comes prepared (see parse_pool).
        return given if given is not None else parse_email(_read_raw(receipt))
    except UnparsableEmail as exc:
        raise _Quarantine(REASON_UNPARSABLE % {"reason": exc.reason}) from exc


def _process_batch(receipts: list[InboundReceipt], given: list[ParseOutcome]) -> list[str]:
    """Each receipt's outcome, deciding in order exactly as one by one would.

    Mail that becomes customer messages is gathered and written together;
    a bounce or an automatic reply (rare) is handled on its own, after what
    came before it is written, since it may concern a message of the same batch.
    """
    outcomes: list[str | None] = [None] * len(receipts)
    readable: list[tuple[int, ParsedEmail]] = []
    ready: dict[int, PreparedEmail] = {}
    for index, (receipt, item) in enumerate(zip(receipts, given, strict=True)):
        try:
            found = _parsed(receipt, item)
        except _Quarantine as exc:
            outcomes[index] = _quarantine(receipt, str(exc))
            continue
        if isinstance(found, PreparedEmail):
            ready[index] = found
            found = found.email
        readable.append((index, found))
    own_ids = {parsed.message_id for _i, parsed in readable if parsed.message_id}
    stored = (
        set(Message.objects.filter(external_id__in=own_ids).values_list("external_id", flat=True))
        if own_ids
        else set()
    ) | side.already_stored(own_ids)
    # Side-conversation mails the batch points at, in one query; a third
    # party's answer stored below joins it, for a later mail of the batch.
    side_ids = side.side_message_ids([parsed for _i, parsed in readable])
    gathered: list[tuple[int, ParsedEmail]] = []

    def write_gathered() -> None:
        received = _receive([(receipts[i], p, ready.get(i)) for i, p in gathered])
        for (i, _p), outcome in zip(gathered, received, strict=True):
            outcomes[i] = outcome
        gathered.clear()

    for index, parsed in readable:
        receipt = receipts[index]
        if parsed.message_id and parsed.message_id in stored:
            receipt.status = ReceiptStatus.DUPLICATE
            receipt.reason = REASON_DUPLICATE % {"id": parsed.message_id}
            outcomes[index] = Outcome.DUPLICATE
        elif parsed.is_bounce:
            write_gathered()
            outcomes[index] = _process_bounce(receipt, parsed)
        elif not parsed.sender.address:
            outcomes[index] = _quarantine(receipt, REASON_NO_SENDER)
        elif conversation := side.find_conversation(parsed, side_ids):
            # A third party's answer to a side conversation: before ticket
            # threading, so a reply-all that also reaches the customer's
            # address never joins the customer's thread.
            write_gathered()
            side.receive(receipt, parsed, conversation)
            if parsed.message_id:
                side_ids.add(parsed.message_id[:500])
            receipt.status = ReceiptStatus.PROCESSED
            outcomes[index] = Outcome.SIDE
        elif auto_reply := loops.automatic_reply_reason(parsed.headers):
            # Like a bounce: on its own, after what came before it is written.
            write_gathered()
            outcomes[index] = _process_auto_reply(receipt, parsed, auto_reply)
        else:
            gathered.append((index, parsed))
        if parsed.message_id and outcomes[index] != Outcome.QUARANTINED:
            stored.add(parsed.message_id)  # the same mail twice in one batch
    write_gathered()
    return [outcome or Outcome.UNCHANGED for outcome in outcomes]


def _planned_candidate(
    key: int, spec: actions.NewTicket, sender: str, domains: frozenset[str] = frozenset()
) -> TicketCandidate:
    """A ticket this batch is about to open, as threading sees it (a negative id)."""
    return TicketCandidate(
        ticket_id=key,
        number=spec.number or 0,
        status=Status.NEW,
        updated_at=spec.created_at or timezone.now(),
        subject=spec.subject,
        participants=frozenset({sender}),
        domains=domains,
    )


@dataclass
class _Planned:
    """What the batch decided so far, for the mails after it: as one by one
    would have found it in the database."""

    # Tickets this batch opens, by a negative key, with their requester's
    # address and organisation domains.
    tickets: dict[int, tuple[actions.NewTicket, str, frozenset[str]]]
    # Message-IDs written by this batch, for replies within it.
    messages: dict[str, TicketCandidate]
    # Addresses that joined a ticket in this batch (senders and the people
    # they copied, who become CCs): participants from then on.
    joined: dict[int, set[str]]
    # The keys of `tickets` by requester address, in the order opened: each
    # mail asks for its sender's only (a scan of all was quadratic in the batch).
    by_owner: dict[str, list[int]] = field(default_factory=dict)

    def open_ticket(
        self, key: int, spec: actions.NewTicket, owner: str, domains: frozenset[str]
    ) -> None:
        self.tickets[key] = (spec, owner, domains)
        self.by_owner.setdefault(owner, []).append(key)


def _receive(
    given: list[tuple[InboundReceipt, ParsedEmail, PreparedEmail | None]],
) -> list[str]:
    """Thread and write customer mails: contacts, tickets, messages and CCs at
    once; each mail's outcome. Each mail comes prepared (by a parse worker)
    or is prepared here."""
    if not given:
        return []
    batch = [(receipt, parsed) for receipt, parsed, _ready in given]
    prepared = [ready or prepare(parsed) for _receipt, parsed, ready in given]
    mailbox = batch[0][0].mailbox
    copied = _copied_people(batch)
    wanted: list[ContactWanted] = []
    for (_receipt, parsed), people, ready in zip(batch, copied, prepared, strict=True):
        wanted.append(ContactWanted(parsed.sender.address, parsed.sender.name, ready.language))
        # A name in someone else's To or Cc is their guess: it never
        # replaces the name a person gives in their own From.
        wanted.extend(
            ContactWanted(address, name, name_source=NameSource.COPIED) for address, name in people
        )
    contacts = get_or_create_contacts("email", wanted)
    senders = [contacts[p.sender.address.strip().lower()][0] for _r, p in batch]
    domains = _organisation_domains(senders)

    now = timezone.now()
    subject_days = mailbox.thread_by_subject_days
    candidates = find_candidates([parsed for _r, parsed in batch], mailbox, now=now)
    # Lock every ticket the mail may go to, in id order, and decide on their
    # current state (a ticket may have been closed since the look-up).
    ids = sorted({c.ticket_id for found in candidates for c in found.tickets()})
    locked = (
        {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        if ids
        else {}
    )
    planned = _Planned(tickets={}, messages={}, joined={})
    decided: list[tuple[ThreadDecision, Ticket | actions.NewTicket]] = []
    for (receipt, parsed), found, contact, people in zip(
        batch, candidates, senders, copied, strict=True
    ):
        sender = parsed.sender.address.strip().lower()
        found = _with_batch(_current(found, locked), parsed, planned, sender)
        decision = decide_thread(parsed, found, now=now, subject_days=subject_days)
        target: Ticket | actions.NewTicket
        if decision.ticket_id is None:
            key = -(len(planned.tickets) + 1)
            target = actions.NewTicket(
                requester=contact,
                subject=parsed.subject,
                channel=CHANNEL,
                type=mailbox.default_type,
                team=mailbox.default_team,
                created_at=_original_date(receipt, parsed),
            )
            owner_domains = domains.get(contact.organisation_id or 0, frozenset())
            planned.open_ticket(key, target, sender, owner_domains)
            chosen = _planned_candidate(key, target, sender, owner_domains)
        elif decision.ticket_id < 0:
            target, owner, owner_domains = planned.tickets[decision.ticket_id]
            chosen = _planned_candidate(decision.ticket_id, target, owner, owner_domains)
        else:
            target = locked[decision.ticket_id]
            chosen = next(c for c in found.tickets() if c.ticket_id == decision.ticket_id)
        if parsed.message_id:
            planned.messages.setdefault(parsed.message_id, chosen)
        planned.joined.setdefault(chosen.ticket_id, set()).update(
            {sender, *(address for address, _name in people)}
        )
        decided.append((decision, target))
    decided = _number_refused(decided, planned)
    incoming = [
        actions.IncomingMessage(
            target=target,
            author=contact,
            channel=CHANNEL,
            external_id=parsed.message_id,
            thread_index_root=parsed.thread_index_root,
            created_at=_original_date(receipt, parsed),
            attachments=_attachments(parsed),
            meta=_meta(receipt, parsed, decision, ready.fold_text_at),
            text=parsed.text,
            html=ready.html,
            body=ready.body,
        )
        for (receipt, parsed), ready, contact, (decision, target) in zip(
            batch, prepared, senders, decided, strict=True
        )
    ]
    messages = actions.receive_messages(incoming, via=Via.CHANNEL)
    for (receipt, _parsed), message, people, contact, found, (decision, _t) in zip(
        batch, messages, copied, senders, candidates, decided, strict=True
    ):
        # An agent writing in from their own address is no customer-side CC.
        sender_contact = None if found.sender_is_agent else contact
        _copy_people(message.ticket, sender_contact, [contacts[a][0] for a, _name in people])
        _link_refused(message.ticket, decision, locked, planned)
        receipt.status, receipt.reason = ReceiptStatus.PROCESSED, ""
        receipt.ticket, receipt.message = message.ticket, message
    return [Outcome.CREATED if d.ticket_id is None else Outcome.THREADED for d, _t in decided]


def _organisation_domains(contacts: list[Contact]) -> dict[int, frozenset[str]]:
    """Mail domains per organisation of these contacts; no query when none has one."""
    from tiski.customers.models import OrganisationDomain

    wanted = {c.organisation_id for c in contacts if c.organisation_id}
    if not wanted:
        return {}
    found: dict[int, set[str]] = {}
    for organisation_id, domain in OrganisationDomain.objects.filter(
        organisation_id__in=wanted
    ).values_list("organisation_id", "domain"):
        found.setdefault(organisation_id, set()).add(domain.lower())
    return {k: frozenset(v) for k, v in found.items()}


def _number_refused(
    decided: list[tuple[ThreadDecision, Ticket | actions.NewTicket]], planned: _Planned
) -> list[tuple[ThreadDecision, Ticket | actions.NewTicket]]:
    """Give refused matches on tickets this batch opens their real numbers.

    Rare (a stranger answering, in the same import, mail that opened a
    ticket), but the recorded reason must name the ticket as one by one would.
    """
    if not any(key < 0 for decision, _t in decided for key, _n in decision.refused):
        return decided
    actions.number_new_tickets([spec for spec, _s, _d in planned.tickets.values()])
    numbered = []
    for decision, target in decided:
        if decision.refused:
            refused = tuple(
                (key, (planned.tickets[key][0].number or 0) if key < 0 else number)
                for key, number in decision.refused
            )
            decision = replace(decision, refused=refused)
        numbered.append((decision, target))
    return numbered


def _link_refused(
    ticket: Ticket, decision: ThreadDecision, locked: dict[int, Ticket], planned: _Planned
) -> None:
    """The new ticket mentions each ticket its headers pointed at but the
    sender could not join; agents see the link on both."""
    for key, _number in decision.refused:
        other = planned.tickets[key][0].ticket if key < 0 else locked.get(key)
        if other is not None and other.pk != ticket.pk:
            actions.link_tickets(
                ticket, other, actor=None, via=Via.CHANNEL, reason=decision.as_meta()["why"]
            )


def _current(found: ThreadCandidates, locked: dict[int, Ticket]) -> ThreadCandidates:
    """The candidates with the status their locked rows have now."""

    def fresh(candidate: TicketCandidate) -> TicketCandidate:
        row = locked.get(candidate.ticket_id)
        if row is None or row.status == candidate.status:
            return candidate
        return replace(candidate, status=row.status)

    return found.map(fresh)


def _with_batch(
    found: ThreadCandidates, parsed: ParsedEmail, planned: _Planned, sender: str
) -> ThreadCandidates:
    """Add what this batch has decided so far: replies to mail a moment older,
    the people who joined tickets, and (for the subject match) the tickets it
    opens for the same sender."""
    by_message_id = dict(found.by_message_id)
    for message_id in message_ids_to_look_up(parsed):
        if message_id in planned.messages and message_id not in by_message_id:
            by_message_id[message_id] = planned.messages[message_id]
    mine = tuple(
        _planned_candidate(key, *planned.tickets[key]) for key in planned.by_owner.get(sender, ())
    )
    found = replace(found, by_message_id=by_message_id, by_sender=found.by_sender + mine)
    if not planned.joined:
        return found

    def with_joined(candidate: TicketCandidate) -> TicketCandidate:
        joined = planned.joined.get(candidate.ticket_id)
        if not joined or joined <= candidate.participants:
            return candidate
        return replace(candidate, participants=candidate.participants | joined)

    return found.map(with_joined)


# A mail to more people than this is a newsletter or a mass mailing, not a
# conversation whose members should all receive our replies.
MAX_COPIED_PEOPLE = 20


def _copied_people(batch: list[tuple[InboundReceipt, ParsedEmail]]) -> list[list[tuple[str, str]]]:
    """Per mail, (address, name) of the people it copies, without our own
    mailboxes (with or without +token)."""
    from tiski.connectors import outbox

    copied = [
        [
            (address, person.name or "")
            for person in (*parsed.to, *parsed.cc)[:MAX_COPIED_PEOPLE]
            if "@" in (address := (person.address or "").lower())
            and loops.base_address(address) != loops.base_address(receipt.mailbox.address)
        ]
        for receipt, parsed in batch
    ]
    # Most mail is addressed to the one mailbox it came to: only look the
    # other mailboxes up when someone else is on the line.
    if any(copied):
        ours = outbox.own_addresses()
        copied = [
            [(a, n) for a, n in people if loops.base_address(a) not in ours] for people in copied
        ]
    return copied


def _copy_people(ticket: Ticket, sender: Contact | None, copied: list[Contact]) -> None:
    """The people a customer copied become ticket CCs, and stay on our replies;
    a colleague of the requester who answers on the thread joins it the same way.

    Only a participant's mail reaches an existing ticket (threading's
    ``may_take_part``), so a stranger never becomes a CC of someone else's case.
    """
    seen = {ticket.requester_id}
    people = []
    if sender is not None:
        seen.add(sender.pk)
        people = [] if sender.pk == ticket.requester_id else [sender]
    for contact in copied:
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


def _meta(
    receipt: InboundReceipt,
    parsed: ParsedEmail,
    decision: ThreadDecision,
    fold_text_at: int | None,
) -> dict:
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
    if fold_text_at is not None:
        # The UI shows text[:fold_text_at] and folds the rest.
        meta["fold_text_at"] = fold_text_at
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


# What the system note on the ticket says, per kind of report.
_REPORT_NOTES = {
    "bounce": gettext_noop("Delivery failed: %(recipients)s"),
    "delay": gettext_noop("Delivery delayed, still being retried: %(recipients)s"),
    "complaint": gettext_noop("Reported as spam by %(recipients)s"),
}


def _process_bounce(receipt: InboundReceipt, parsed: ParsedEmail) -> str:
    """A report about mail we sent: never a ticket, at most a note on one.

    Only permanent failures (``bounce_recipients``) stop automatic mail to
    an address; a failed delivery of any kind shows on our outgoing email;
    a delay or a spam complaint is noted on the ticket and changes nothing;
    a delivery receipt is kept on the receipt only.
    """
    from tiski.connectors import outbox

    receipt.status = ReceiptStatus.PROCESSED
    if parsed.report_kind == "delivered":
        receipt.reason = "delivery receipt"
        return Outcome.BOUNCE_UNMATCHED
    original = parsed.bounce_original_message_id
    reason = _bounce_reason(parsed)
    for address in parsed.bounce_recipients:
        outbox.mark_undeliverable(address, reason)
    if parsed.report_kind in ("bounce", "") and original and parsed.report_recipients:
        # Failed even when the address itself is fine (a full mailbox).
        outbox.fail_bounced(original, parsed.report_recipients, reason)
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
    named = parsed.report_recipients or parsed.bounce_recipients
    recipients = ", ".join(named) or _("unknown recipient")
    note_text = _REPORT_NOTES.get(parsed.report_kind, _REPORT_NOTES["bounce"])
    text = _(note_text) % {"recipients": recipients}
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
                "kind": parsed.report_kind or "bounce",
                "recipients": list(named),
                "permanent": list(parsed.bounce_recipients),
                "original_message_id": original,
            },
            "auto_submitted": True,
            "receipt": receipt.pk,
        },
    )
    receipt.reason = ""
    receipt.ticket, receipt.message = ticket, note
    return Outcome.BOUNCE_ATTACHED


# --- automatic replies -------------------------------------------------------------


def _process_auto_reply(receipt: InboundReceipt, parsed: ParsedEmail, why: str) -> str:
    """An out-of-office or other automatic reply: never a ticket of its own.

    It goes, as a system message, on the ticket it answers (threading, with
    the same participant rule) or else on the sender's open or most recent
    ticket: a system message changes no status, starts no SLA clock and
    sends nothing. Without such a ticket it is kept on its receipt, like a
    bounce without a ticket, for admins to see.
    """
    receipt.status = ReceiptStatus.PROCESSED
    ticket, decision = _auto_reply_ticket(receipt, parsed)
    if ticket is None:
        receipt.reason = REASON_AUTO_REPLY_UNMATCHED % {"why": why}
        return Outcome.AUTO_REPLY_UNMATCHED
    sender = parsed.sender.address.lower()
    text = _("Automatic reply from %(sender)s: %(subject)s") % {
        "sender": sender,
        "subject": parsed.subject or _("(no subject)"),
    }
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
        thread_index_root=parsed.thread_index_root,
        meta={
            "auto_reply": {"from": sender, "subject": parsed.subject, "why": why},
            "threading": decision.as_meta(),
            "auto_submitted": True,
            "receipt": receipt.pk,
        },
    )
    receipt.reason = ""
    receipt.ticket, receipt.message = ticket, note
    return Outcome.AUTO_REPLY_ATTACHED


def _auto_reply_ticket(
    receipt: InboundReceipt, parsed: ParsedEmail
) -> tuple[Ticket | None, ThreadDecision]:
    """The ticket an automatic reply belongs on, locked; and how it was found."""
    from django.db.models import Q

    from tiski.customers.models import Identity

    now = timezone.now()
    found = find_candidates([parsed], receipt.mailbox, now=now)[0]
    decision = decide_thread(parsed, found, now=now)
    if decision.ticket_id is not None:
        ticket = Ticket.objects.select_for_update().filter(pk=decision.ticket_id).first()
        if ticket is not None and ticket.status != Status.CLOSED:
            return ticket, decision
    contact_id = (
        Identity.objects.filter(kind="email", value=parsed.sender.address.strip().lower())
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is None:
        return None, decision
    theirs = (
        Ticket.objects.filter(Q(requester_id=contact_id) | Q(ccs=contact_id))
        .exclude(status=Status.CLOSED)
        .order_by("-updated_at", "-id")
    )
    # An open case is the one the person is away from; else the latest one.
    ticket_id = (
        theirs.filter(status__in=UNSOLVED_STATUSES).values_list("id", flat=True).first()
        or theirs.values_list("id", flat=True).first()
    )
    if ticket_id is None:
        return None, decision
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    return ticket, replace(decision, reason="auto_reply_sender", matched=str(ticket.number))
