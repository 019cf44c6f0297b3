"""Who gets no survey, decided by one pure function over gathered facts.

`gather` reads what the decision needs from the database; `reason` only
looks at the values, so every exclusion is tested without mail or rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from tiski.customers.addresses import is_daemon_address
from tiski.customers.models import Contact, IdentityKind
from tiski.tickets.models import Message, MessageKind, Ticket

from .models import SurveyInvitation, SurveyKind


@dataclass(frozen=True)
class Candidate:
    """What the exclusions look at for one contact (and, for CSAT, one ticket)."""

    address: str  # a deliverable email address, "" if none
    bounced: bool  # the contact has email addresses, all marked undeliverable
    opted_out: bool
    automatic_sender: bool  # the mail came from a robot or a no-reply address
    imported: bool  # the ticket came in with `tiski import-mail`
    surveyed_recently: bool  # within the cool-down
    ticket_surveyed: bool = False  # a CSAT survey about this ticket already went out


def reason(candidate: Candidate) -> str:
    """Why no survey goes out, in words for the rule log, or "" to send one."""
    if candidate.opted_out:
        return _("the contact does not want surveys")
    if candidate.imported:
        return _("the ticket was imported from old mail")
    if candidate.automatic_sender:
        return _("the requester is an automatic sender")
    if candidate.bounced:
        return _("the requester's email address bounces")
    if not candidate.address:
        return _("the requester has no email address")
    if candidate.ticket_surveyed:
        return _("a survey about this ticket was already sent")
    if candidate.surveyed_recently:
        return _("the contact got a survey recently")
    return ""


def _is_daemon(address: str) -> bool:
    # The same list of robot addresses (no-reply, mailer-daemon) the mail loop rules use.
    return is_daemon_address(address)


def _flags(metas: Sequence[dict | None]) -> tuple[bool, bool]:
    """(automatic, imported) from the meta of a ticket's customer messages."""
    automatic = imported = False
    for meta in metas:
        meta = meta or {}
        if meta.get("suppress_automatic_mail"):
            imported = True
        if meta.get("auto_submitted") or meta.get("bounce"):
            automatic = True
    return automatic, imported


def _automatic_or_imported(ticket: Ticket | None) -> tuple[bool, bool]:
    if ticket is None:
        return False, False
    return _flags(ticket.messages.filter(kind=MessageKind.CUSTOMER).values_list("meta", flat=True))


def gather(
    contact: Contact,
    ticket: Ticket | None,
    *,
    kind: str,
    cooldown_days: int,
    now: datetime,
) -> Candidate:
    recent = SurveyInvitation.objects.filter(
        contact=contact, kind=kind, sent_at__gte=now - timedelta(days=cooldown_days)
    ).exists()
    ticket_surveyed = (
        kind == SurveyKind.CSAT
        and ticket is not None
        and SurveyInvitation.objects.filter(ticket=ticket, kind=kind).exists()
    )
    return _candidate(
        contact,
        _automatic_or_imported(ticket),
        surveyed_recently=recent,
        ticket_surveyed=ticket_surveyed,
    )


def gather_csat_many(
    tickets: Sequence[Ticket], *, cooldown_days: int, now: datetime
) -> list[Candidate]:
    """`gather` for the requesters of many tickets (CSAT), in five queries.

    Each candidate is what `gather(ticket.requester, ticket, ...)` would
    read now; a contact asked about two of these tickets is the caller's to
    order (the second one's cool-down depends on the first one's mail).
    """
    if not tickets:
        return []
    ids = [ticket.pk for ticket in tickets]
    contacts = [ticket.requester for ticket in tickets]
    prefetch_related_objects(contacts, "identities")
    metas: dict[int, list[dict | None]] = {}
    customer = Message.objects.filter(ticket_id__in=ids, kind=MessageKind.CUSTOMER)
    for ticket_id, meta in customer.values_list("ticket_id", "meta"):
        metas.setdefault(ticket_id, []).append(meta)
    recent = set(
        SurveyInvitation.objects.filter(
            contact_id__in={contact.pk for contact in contacts},
            kind=SurveyKind.CSAT,
            sent_at__gte=now - timedelta(days=cooldown_days),
        ).values_list("contact_id", flat=True)
    )
    surveyed = set(
        SurveyInvitation.objects.filter(ticket_id__in=ids, kind=SurveyKind.CSAT).values_list(
            "ticket_id", flat=True
        )
    )
    return [
        _candidate(
            ticket.requester,
            _flags(metas.get(ticket.pk, [])),
            surveyed_recently=ticket.requester.pk in recent,
            ticket_surveyed=ticket.pk in surveyed,
        )
        for ticket in tickets
    ]


def _candidate(
    contact: Contact,
    automatic_or_imported: tuple[bool, bool],
    *,
    surveyed_recently: bool,
    ticket_surveyed: bool,
) -> Candidate:
    emails = [i for i in contact.identities.all() if i.kind == IdentityKind.EMAIL]
    deliverable = [i.value for i in emails if i.undeliverable_at is None]
    automatic, imported = automatic_or_imported
    automatic = automatic or any(_is_daemon(i.value) for i in emails)
    return Candidate(
        address=deliverable[0] if deliverable else "",
        bounced=bool(emails) and not deliverable,
        opted_out=contact.surveys_opt_out,
        automatic_sender=automatic,
        imported=imported,
        surveyed_recently=surveyed_recently,
        ticket_surveyed=ticket_surveyed,
    )
