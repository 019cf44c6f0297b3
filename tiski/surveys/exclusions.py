"""Who gets no survey, decided by one pure function over gathered facts.

`gather` reads what the decision needs from the database; `reason` only
looks at the values, so every exclusion is tested without mail or rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from tiski.customers.addresses import is_daemon_address
from tiski.customers.models import Contact, IdentityKind
from tiski.tickets.models import MessageKind, Ticket

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


def _automatic_or_imported(ticket: Ticket | None) -> tuple[bool, bool]:
    if ticket is None:
        return False, False
    automatic = imported = False
    for meta in ticket.messages.filter(kind=MessageKind.CUSTOMER).values_list("meta", flat=True):
        meta = meta or {}
        if meta.get("suppress_automatic_mail"):
            imported = True
        if meta.get("auto_submitted") or meta.get("bounce"):
            automatic = True
    return automatic, imported


def gather(
    contact: Contact,
    ticket: Ticket | None,
    *,
    kind: str,
    cooldown_days: int,
    now: datetime,
) -> Candidate:
    emails = [i for i in contact.identities.all() if i.kind == IdentityKind.EMAIL]
    deliverable = [i.value for i in emails if i.undeliverable_at is None]
    automatic, imported = _automatic_or_imported(ticket)
    automatic = automatic or any(_is_daemon(i.value) for i in emails)
    recent = SurveyInvitation.objects.filter(
        contact=contact, kind=kind, sent_at__gte=now - timedelta(days=cooldown_days)
    ).exists()
    ticket_surveyed = (
        kind == SurveyKind.CSAT
        and ticket is not None
        and SurveyInvitation.objects.filter(ticket=ticket, kind=kind).exists()
    )
    return Candidate(
        address=deliverable[0] if deliverable else "",
        bounced=bool(emails) and not deliverable,
        opted_out=contact.surveys_opt_out,
        automatic_sender=automatic,
        imported=imported,
        surveyed_recently=recent,
        ticket_surveyed=ticket_surveyed,
    )
