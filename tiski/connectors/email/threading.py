"""Which ticket an incoming email belongs to, and why.

``decide_thread`` is pure: it gets the parsed mail and the candidate tickets
already looked up, and returns a decision with its reason. ``find_thread``
is the thin database wrapper that looks the candidates up (models are
imported inside it so this module stays importable without the ORM).

Order of trust: our signed reply token in a recipient address, then
In-Reply-To, then References (against every Message-ID stored on a message,
sent or received), then Outlook's Thread-Index conversation root, then
``[#1234]`` in the subject from a known participant, then (optional per
mailbox) same sender and same normalised subject on a recent unsolved
ticket. A match on a ticket that was merged into another counts as a
match on the ticket it went into (tickets/actions/merge.py keeps the record). A
match on a closed ticket gives a new ticket that remembers the old one.

Headers prove only that a mail belongs to the same conversation, and
everyone who ever held a copy shares them: a forward keeps In-Reply-To,
References and the Thread-Index root, and a ticket number in a subject is
easy to guess. A forwardee writing to us is a new person with a new matter,
and threading them onto the old ticket would make them a CC of someone
else's case. So every header match (In-Reply-To, References, Thread-Index,
``[#1234]``) passes one gate, ``may_take_part``: the sender must be the
requester, a CC, someone who wrote on the ticket, someone our mail on it
went to, someone of the requester's organisation (its domains) or an agent.
A refused match opens a new ticket that mentions the old one. Our signed
reply token is not a header match: only recipients of our mail hold it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.utils.crypto import constant_time_compare

from .parse import ParsedEmail

if TYPE_CHECKING:
    from tiski.connectors.models import Mailbox

UNSOLVED = ("new", "open", "pending", "on_hold")
CLOSED = "closed"
_TOKEN_SALT = "tiski.connectors.email.reply-token"
_TOKEN_SIG_LENGTH = 20
_TOKEN = re.compile(r"^([0-9a-z]{1,13})\.([0-9a-f]{20})$")  # 20 = _TOKEN_SIG_LENGTH
_SUBJECT_REF = re.compile(r"\[#(\d{1,12})\]")
_SUBJECT_PREFIX = re.compile(
    r"^\s{0,5}(?:(?:re|fw|fwd|vs|vl|sv|aw|wg|tr|rv|antw|vast|ref)\s{0,3}"
    r"(?:\[\d{1,4}\]|\(\d{1,4}\))?\s{0,3}[:：]|\[#\d{1,12}\])",
    re.IGNORECASE,
)


# --- reply tokens -------------------------------------------------------------


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def reply_signer() -> signing.Signer:
    """The signer of reply tokens, for `make_reply_token` over a batch of
    mails (made once, not once per mail; it reads the secret key)."""
    return signing.Signer(salt=_TOKEN_SALT)


def _token_signature(value: str, signer: signing.Signer | None = None) -> str:
    # Lower-case hex, because some servers lower-case the local part of an
    # address; base64 signatures would not survive that.
    signature = (signer or reply_signer()).signature(value)
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    return raw.hex()[:_TOKEN_SIG_LENGTH]


def make_reply_token(ticket: Any, signer: signing.Signer | None = None) -> str:
    """A short signed token for the ticket, for ``tuki+<token>@domain`` addresses
    (``signer``: `reply_signer()`, when a batch of mails made it once)."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.pk
    value = _base36(int(ticket_id))
    return f"{value}.{_token_signature(value, signer)}"


def read_reply_token(value: str) -> int | None:
    """The ticket id in a token or an address carrying one; None if absent or forged."""
    value = (value or "").strip().lower()
    if "@" in value:
        value = value.rpartition("@")[0]
    if "+" in value:
        value = value.rpartition("+")[2]
    match = _TOKEN.match(value)
    if not match:
        return None
    if not constant_time_compare(_token_signature(match.group(1)), match.group(2)):
        return None
    return int(match.group(1), 36)


# --- subjects -------------------------------------------------------------------


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and ticket references, case-folded."""
    subject = subject or ""
    for _ in range(20):  # bounded: a subject of a hundred "Re:"s is still finite work
        stripped = _SUBJECT_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        subject = stripped
    subject = _SUBJECT_REF.sub(" ", subject)
    return " ".join(subject.split()).casefold()


def subject_ticket_numbers(subject: str) -> list[int]:
    return [int(n) for n in _SUBJECT_REF.findall(subject or "")]


# --- the decision -----------------------------------------------------------------


@dataclass(frozen=True)
class TicketCandidate:
    ticket_id: int
    number: int
    status: str
    updated_at: datetime
    subject: str = ""
    # Lower-case addresses of the requester, the CCs, everyone who wrote on
    # the ticket and everyone our mail on it was sent to (To and Cc).
    participants: frozenset[str] = frozenset()
    # Set when the mail matched a ticket merged into this one: that ticket's number.
    merged_from: int | None = None
    # Mail domains of the requester's organisation: its people may join.
    domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ThreadIndexCandidate:
    """A stored message carrying a Thread-Index root, and the ticket it is on."""

    root: str
    ticket: TicketCandidate
    # Lower-case addresses our outgoing message with this root went to
    # (To and Cc); empty for a message a customer sent us.
    sent_to: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ThreadCandidates:
    by_token: TicketCandidate | None = None
    by_message_id: dict[str, TicketCandidate] = field(default_factory=dict)
    # Messages sharing the mail's Thread-Index root, newest first.
    by_thread_index: tuple[ThreadIndexCandidate, ...] = ()
    by_number: dict[int, TicketCandidate] = field(default_factory=dict)
    # Recent tickets of the sender, for the optional subject match.
    by_sender: tuple[TicketCandidate, ...] = ()
    # The sender is one of our agents: they may take part in any ticket.
    sender_is_agent: bool = False

    def tickets(self) -> list[TicketCandidate]:
        """Every ticket candidate, whichever step found it."""
        found = [
            *self.by_message_id.values(),
            *(c.ticket for c in self.by_thread_index),
            *self.by_number.values(),
            *self.by_sender,
        ]
        return found if self.by_token is None else [*found, self.by_token]

    def map(self, change: Callable[[TicketCandidate], TicketCandidate]) -> ThreadCandidates:
        """The same candidates with ``change`` applied to each ticket."""
        return replace(
            self,
            by_token=change(self.by_token) if self.by_token is not None else None,
            by_message_id={k: change(v) for k, v in self.by_message_id.items()},
            by_thread_index=tuple(
                replace(c, ticket=change(c.ticket)) for c in self.by_thread_index
            ),
            by_number={k: change(v) for k, v in self.by_number.items()},
            by_sender=tuple(change(c) for c in self.by_sender),
        )


@dataclass(frozen=True)
class ThreadDecision:
    ticket_id: int | None
    # token | in_reply_to | references | thread_index | subject_ref | subject_match | new
    reason: str
    matched: str = ""
    # When the mail answers a closed ticket: that ticket's number.
    follow_up_of: int | None = None
    # When the mail answered a ticket merged into this one: that ticket's number.
    merged_from: int | None = None
    # Tickets the headers pointed at whose participant the sender is not:
    # (ticket id, number), most trusted match first. The new ticket mentions them.
    refused: tuple[tuple[int, int], ...] = ()
    # The header of the first refused match (a HeaderMatch reason).
    refused_by: str = ""

    @property
    def refused_why(self) -> str:
        """Why the first refused match was refused, in English like other intake reasons."""
        if not self.refused:
            return ""
        header = _MATCH_NAMES.get(self.refused_by, self.refused_by)
        return REASON_NOT_PARTICIPANT % {"header": header, "number": self.refused[0][1]}

    def as_meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"reason": self.reason, "matched": self.matched}
        if self.follow_up_of is not None:
            meta["follow_up_of"] = self.follow_up_of
        if self.merged_from is not None:
            meta["merged_from"] = self.merged_from
        if self.refused:
            meta["not_participant"] = [number for _id, number in self.refused]
            meta["why"] = self.refused_why
        return meta


@dataclass(frozen=True)
class HeaderMatch:
    """A ticket a header of the mail points at."""

    # in_reply_to | references | thread_index | subject_ref
    reason: str
    matched: str
    ticket: TicketCandidate
    # Addresses trusted for this match only: those our message carrying
    # this Thread-Index root was sent to.
    also: frozenset[str] = frozenset()


# How a refused match is explained (stored English, see intake's reasons).
_MATCH_NAMES = {
    "in_reply_to": "In-Reply-To",
    "references": "References",
    "thread_index": "Thread-Index",
    "subject_ref": "The ticket number in the subject",
}
REASON_NOT_PARTICIPANT = "%(header)s matched #%(number)s, but the sender is not a participant"


def may_take_part(
    sender: str,
    ticket: TicketCandidate,
    *,
    sender_is_agent: bool = False,
    also: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``sender`` may join the conversation of ``ticket``: the one rule
    every header-based threading path goes through (see the module docstring)."""
    sender = (sender or "").strip().lower()
    if not sender:
        return False
    if sender_is_agent or sender in ticket.participants or sender in also:
        return True
    domain = sender.rpartition("@")[2]
    return bool(domain) and domain in ticket.domains


def header_matches(parsed: ParsedEmail, candidates: ThreadCandidates) -> list[HeaderMatch]:
    """Every ticket the mail's headers point at, most trusted first.

    Only lists: whether the sender may join is ``decide_thread``'s one check.
    """
    found: list[HeaderMatch] = []
    if parsed.in_reply_to and parsed.in_reply_to in candidates.by_message_id:
        ticket = candidates.by_message_id[parsed.in_reply_to]
        found.append(HeaderMatch("in_reply_to", parsed.in_reply_to, ticket))
    for ref in reversed(parsed.references):
        if ref in candidates.by_message_id:
            found.append(HeaderMatch("references", ref, candidates.by_message_id[ref]))
    root = parsed.thread_index_root
    if root:
        found.extend(
            HeaderMatch("thread_index", root, c.ticket, c.sent_to)
            for c in candidates.by_thread_index
            if c.root == root
        )
    for number in subject_ticket_numbers(parsed.subject):
        candidate = candidates.by_number.get(number)
        if candidate is not None:
            found.append(HeaderMatch("subject_ref", f"#{number}", candidate))
    return found


def message_ids_to_look_up(parsed: ParsedEmail) -> list[str]:
    ids = [parsed.in_reply_to] if parsed.in_reply_to else []
    ids += [ref for ref in reversed(parsed.references) if ref not in ids]
    return ids


def recipient_addresses(parsed: ParsedEmail) -> list[str]:
    addresses = [a.address for a in parsed.recipients]
    for header in ("delivered-to", "x-original-to"):
        if parsed.headers.get(header):
            addresses.append(parsed.headers[header].strip().strip("<>"))
    return addresses


def _decided(candidate: TicketCandidate, reason: str, matched: str) -> ThreadDecision:
    if candidate.status == CLOSED:
        return ThreadDecision(None, "new", f"{reason}:{matched}", follow_up_of=candidate.number)
    return ThreadDecision(candidate.ticket_id, reason, matched, merged_from=candidate.merged_from)


def decide_thread(
    parsed: ParsedEmail, candidates: ThreadCandidates, *, now: datetime, subject_days: int = 0
) -> ThreadDecision:
    """Where the mail goes, from what was found; no database access."""
    if candidates.by_token is not None:
        return _decided(candidates.by_token, "token", str(candidates.by_token.number))
    sender = parsed.sender.address.strip().lower()
    refused: list[HeaderMatch] = []
    for match in header_matches(parsed, candidates):
        if may_take_part(
            sender, match.ticket, sender_is_agent=candidates.sender_is_agent, also=match.also
        ):
            return _decided(match.ticket, match.reason, match.matched)
        refused.append(match)
    if subject_days > 0 and sender:
        wanted = normalise_subject(parsed.subject)
        since = now - timedelta(days=subject_days)
        matches = [
            c
            for c in candidates.by_sender
            if wanted
            and c.status in UNSOLVED
            and c.updated_at >= since
            and sender in c.participants
            and normalise_subject(c.subject) == wanted
        ]
        if matches:
            best = max(matches, key=lambda c: (c.updated_at, c.ticket_id))
            return ThreadDecision(best.ticket_id, "subject_match", wanted)
    if refused:
        first = refused[0]
        tickets = {m.ticket.ticket_id: m.ticket.number for m in refused}
        return ThreadDecision(
            None,
            "new",
            f"{first.reason}:{first.matched}",
            refused=tuple(tickets.items()),
            refused_by=first.reason,
        )
    return ThreadDecision(None, "new")


# --- the database wrapper -----------------------------------------------------------


def _candidates_for(ticket_ids: Iterable[int]) -> dict[int, TicketCandidate]:
    """The tickets as threading sees them, with everyone who may take part.

    A fixed handful of queries for any number of tickets: the intake asks
    once per batch, never per mail.
    """
    from tiski.connectors.models import OutboundEmail, OutboundKind, OutboundStatus
    from tiski.customers.models import Identity, OrganisationDomain
    from tiski.tickets.models import Message, Ticket

    ids = set(ticket_ids)
    if not ids:
        return {}
    tickets = list(
        Ticket.objects.filter(pk__in=ids).only(
            "id", "number", "status", "updated_at", "subject", "requester_id"
        )
    )
    contacts: dict[int, set[int]] = {t.pk: {t.requester_id} for t in tickets}
    for ticket_id, contact_id in (
        Message.objects.filter(ticket_id__in=ids, author_contact__isnull=False)
        .values_list("ticket_id", "author_contact_id")
        .distinct()
    ):
        contacts[ticket_id].add(contact_id)
    for ticket_id, contact_id in Ticket.ccs.through.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "contact_id"
    ):
        contacts[ticket_id].add(contact_id)
    all_contacts = set().union(*contacts.values()) if contacts else set()
    emails: dict[int, set[str]] = {}
    for contact_id, value in Identity.objects.filter(
        contact_id__in=all_contacts, kind="email"
    ).values_list("contact_id", "value"):
        emails.setdefault(contact_id, set()).add(value.lower())
    # Agents' notifications are internal, and suppressed mail never left;
    # replies, acknowledgements and rule mails reached people who may answer.
    mailed: dict[int, set[str]] = {}
    for ticket_id, to, cc in (
        OutboundEmail.objects.filter(ticket_id__in=ids)
        .exclude(kind=OutboundKind.NOTIFICATION)
        .exclude(status=OutboundStatus.SUPPRESSED)
        .values_list("ticket_id", "to", "cc")
    ):
        mailed.setdefault(ticket_id, set()).update(_addresses([*(to or []), *(cc or [])]))
    domains: dict[int, set[str]] = {}
    requesters = {t.requester_id for t in tickets}
    for contact_id, domain in OrganisationDomain.objects.filter(
        organisation__contacts__in=requesters
    ).values_list("organisation__contacts", "domain"):
        domains.setdefault(contact_id, set()).add(domain.lower())
    return {
        t.pk: TicketCandidate(
            ticket_id=t.pk,
            number=t.number,
            status=t.status,
            updated_at=t.updated_at,
            subject=t.subject,
            participants=frozenset(mailed.get(t.pk, ())).union(
                *(emails.get(c, set()) for c in contacts[t.pk])
            ),
            domains=frozenset(domains.get(t.requester_id, ())),
        )
        for t in tickets
    }


def _addresses(values: Iterable[Any]) -> set[str]:
    """Bare lower-case addresses from stored To/Cc values ("Name <a@b>" or "a@b")."""
    from email.utils import getaddresses

    found = set()
    for _name, address in getaddresses([v for v in values if isinstance(v, str)]):
        if "@" in address:
            found.add(address.strip().lower())
    return found


# A conversation has a handful of messages; more rows only cost time.
THREAD_INDEX_LOOKUP_LIMIT = 50


def _thread_index_rows(
    mails: Sequence[ParsedEmail],
) -> tuple[dict[str, list[tuple[int, int]]], dict[int, set[str]]]:
    """Per Thread-Index root of these mails: (message id, ticket id) of the
    stored messages carrying it, newest first; and the addresses each of our
    own such messages was sent to."""
    from tiski.connectors.models import OutboundEmail
    from tiski.tickets.models import Message

    roots = sorted({p.thread_index_root for p in mails if p.thread_index_root})
    if not roots:
        return {}, {}
    by_root: dict[str, list[tuple[int, int]]] = {}
    for pk, ticket_id, root in (
        Message.objects.filter(thread_index_root__in=roots)
        .order_by("-created_at", "-id")
        .values_list("id", "ticket_id", "thread_index_root")[
            : THREAD_INDEX_LOOKUP_LIMIT * len(roots)
        ]
    ):
        rows = by_root.setdefault(root, [])
        if len(rows) < THREAD_INDEX_LOOKUP_LIMIT:
            rows.append((pk, ticket_id))
    sent_to: dict[int, set[str]] = {}
    for message_id, to, cc in OutboundEmail.objects.filter(
        message_id__in=[pk for rows in by_root.values() for pk, _ticket in rows]
    ).values_list("message_id", "to", "cc"):
        sent_to.setdefault(message_id, set()).update(_addresses([*(to or []), *(cc or [])]))
    return by_root, sent_to


def _follow_merges(found: dict[int, TicketCandidate]) -> dict[int, TicketCandidate]:
    """Each found ticket that was merged away stands for the ticket it went into.

    The target keeps the source's participants too: whoever could use the
    source's ``[#number]`` still can.
    """
    from tiski.tickets.actions import merged_targets

    redirect = merged_targets(found)
    if not redirect:
        return found
    targets = _candidates_for(set(redirect.values()) - set(found))
    followed = dict(found)
    for source_id, target_id in redirect.items():
        target = found.get(target_id) or targets.get(target_id)
        if target is None:
            continue
        source = found[source_id]
        followed[source_id] = replace(
            target,
            participants=target.participants | source.participants,
            merged_from=source.number,
        )
    return followed


def _agent_addresses(senders: Iterable[str]) -> set[str]:
    """Which of these addresses belong to active agents (any desk user)."""
    from tiski.accounts.models import User

    wanted = sorted(set(senders))
    if not wanted:
        return set()
    return {
        email.lower()
        for email in User.objects.filter(email__in=wanted, is_active=True).values_list(
            "email", flat=True
        )
    }


def find_candidates(
    mails: Sequence[ParsedEmail], mailbox: Mailbox | None = None, *, now: datetime | None = None
) -> list[ThreadCandidates]:
    """Look up, for each mail, the tickets it could belong to.

    One round of queries for the whole list (an import hands over a hundred
    mails at a time, a live source one), whatever it holds.
    """
    from django.utils import timezone

    from tiski.customers.models import Identity
    from tiski.tickets.models import Message, Ticket

    now = now or timezone.now()
    tokens: list[int | None] = []
    for parsed in mails:
        token_ticket_id = None
        for address in recipient_addresses(parsed):
            token_ticket_id = read_reply_token(address)
            if token_ticket_id is not None:
                break
        tokens.append(token_ticket_id)
    all_ids = sorted({mid for parsed in mails for mid in message_ids_to_look_up(parsed)})
    id_rows = (
        list(
            Message.objects.filter(external_id__in=all_ids)
            .order_by("id")
            .values_list("external_id", "ticket_id")
        )
        if all_ids
        else []
    )
    root_rows, sent_to = _thread_index_rows(mails)
    all_numbers = sorted({n for parsed in mails for n in subject_ticket_numbers(parsed.subject)})
    number_rows = (
        dict(Ticket.objects.filter(number__in=all_numbers).values_list("number", "id"))
        if all_numbers
        else {}
    )
    subject_days = mailbox.thread_by_subject_days if mailbox is not None else 0
    by_sender_ids: dict[str, list[int]] = {}
    senders = sorted({p.sender.address.strip().lower() for p in mails if p.sender.address})
    if subject_days > 0 and senders:
        owners: dict[int, set[str]] = {}
        for contact_id, value in Identity.objects.filter(
            kind="email", value__in=senders
        ).values_list("contact_id", "value"):
            owners.setdefault(contact_id, set()).add(value)
        for ticket_id, requester_id in (
            Ticket.objects.filter(
                requester_id__in=list(owners),
                status__in=UNSOLVED,
                updated_at__gte=now - timedelta(days=subject_days),
            )
            .order_by("-updated_at")
            .values_list("id", "requester_id")
        ):
            for sender in owners[requester_id]:
                found_for = by_sender_ids.setdefault(sender, [])
                if len(found_for) < 50:
                    found_for.append(ticket_id)
    wanted = (
        {ticket_id for _mid, ticket_id in id_rows}
        | {ticket_id for rows in root_rows.values() for _pk, ticket_id in rows}
        | set(number_rows.values())
        | {i for ids in by_sender_ids.values() for i in ids}
        | {t for t in tokens if t is not None}
    )
    found = _follow_merges(_candidates_for(wanted))
    agents = _agent_addresses(senders) if found else set()
    first_ticket: dict[str, int] = {}
    for message_id, ticket_id in id_rows:
        # The first message carrying an id wins: that is where it was first seen.
        first_ticket.setdefault(message_id, ticket_id)
    result = []
    for parsed, token_ticket_id in zip(mails, tokens, strict=True):
        by_message_id = {
            mid: found[first_ticket[mid]]
            for mid in message_ids_to_look_up(parsed)
            if mid in first_ticket and first_ticket[mid] in found
        }
        numbers = subject_ticket_numbers(parsed.subject)
        sender = parsed.sender.address.strip().lower()
        root = parsed.thread_index_root
        result.append(
            ThreadCandidates(
                by_token=found.get(token_ticket_id) if token_ticket_id is not None else None,
                by_message_id=by_message_id,
                by_thread_index=tuple(
                    ThreadIndexCandidate(
                        root=root,
                        ticket=found[ticket_id],
                        sent_to=frozenset(sent_to.get(pk, ())),
                    )
                    for pk, ticket_id in root_rows.get(root, ())
                    if ticket_id in found
                ),
                by_number={
                    n: found[number_rows[n]]
                    for n in numbers
                    if n in number_rows and number_rows[n] in found
                },
                by_sender=tuple(found[i] for i in by_sender_ids.get(sender, ()) if i in found),
                sender_is_agent=sender in agents,
            )
        )
    return result


def find_thread(
    parsed: ParsedEmail, mailbox: Mailbox | None = None, *, now: datetime | None = None
) -> ThreadDecision:
    """Look up the candidates for this mail and decide where it goes."""
    from django.utils import timezone

    now = now or timezone.now()
    candidates = find_candidates([parsed], mailbox, now=now)[0]
    subject_days = mailbox.thread_by_subject_days if mailbox is not None else 0
    return decide_thread(parsed, candidates, now=now, subject_days=subject_days)
