"""Sending surveys: CSAT about a solved ticket, NPS rounds to recent customers.

Both write the invitation row and queue the mail in one transaction, so a
survey either exists and is on its way or does not exist at all. Every
"no" comes back as a reason in words (the rule log shows it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.customers.models import Contact
from tiski.tickets import automatic_mail
from tiski.tickets.automatic_mail import send_automatic_mail
from tiski.tickets.models import Status, Ticket

from . import exclusions
from .mail import compose
from .models import SurveyInvitation, SurveyKind, SurveySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    invitation: SurveyInvitation | None = None
    reason: str = ""  # why nothing was sent
    email_id: int | None = None


def _language(contact: Contact) -> str:
    return "en" if (contact.language or "fi").startswith("en") else "fi"


def _queue(invitation: SurveyInvitation, ticket: Ticket, from_address: str) -> Outcome:
    mail = compose(invitation)
    queued = send_automatic_mail(
        ticket=ticket,
        to=[invitation.email],
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        kind=automatic_mail.SURVEY,
        from_address=from_address,
    )
    if queued.id is None:
        return Outcome(reason=_("no mailbox to send from"))
    if not queued.sent:
        return Outcome(reason=_("email not sent: %(reason)s") % {"reason": queued.reason})
    return Outcome(invitation=invitation, email_id=queued.id)


def _send(
    *,
    kind: str,
    contact: Contact,
    ticket: Ticket,
    about: Ticket | None,
    cooldown_days: int,
    now: datetime,
    from_address: str = "",
) -> Outcome:
    # The ticket the mail goes with tells whether its sender is a robot or an import.
    candidate = exclusions.gather(contact, ticket, kind=kind, cooldown_days=cooldown_days, now=now)
    why_not = exclusions.reason(candidate)
    if why_not:
        return Outcome(reason=why_not)
    with transaction.atomic():
        invitation = SurveyInvitation.objects.create(
            kind=kind,
            ticket=about,
            contact=contact,
            agent_id=ticket.assignee_id,
            team_id=ticket.team_id,
            language=_language(contact),
            email=candidate.address,
            sent_at=now,
        )
        outcome = _queue(invitation, ticket, from_address)
        if outcome.invitation is None:
            # The mail will not go out: no survey was sent, so none is counted.
            invitation.delete()
    return outcome


def send_csat(ticket: Ticket, *, now: datetime | None = None, from_address: str = "") -> Outcome:
    """Ask the requester of a solved ticket how we did (the rule action's work)."""
    row = SurveySettings.load()
    if not row.csat_enabled:
        return Outcome(reason=_("satisfaction surveys are switched off in Settings"))
    if ticket.status not in (Status.SOLVED, Status.CLOSED):
        return Outcome(reason=_("the ticket is not solved"))
    return _send(
        kind=SurveyKind.CSAT,
        contact=ticket.requester,
        ticket=ticket,
        about=ticket,
        cooldown_days=row.csat_cooldown_days,
        now=now or timezone.now(),
        from_address=from_address,
    )


@dataclass(frozen=True)
class RoundResult:
    sent: int = 0
    skipped: int = 0
    ran: bool = False


def nps_round_due(row: SurveySettings, now: datetime) -> bool:
    if not row.nps_enabled:
        return False
    last = row.nps_last_round_at
    return last is None or now - last >= timedelta(days=row.nps_interval_days)


def send_nps_round(*, now: datetime | None = None, force: bool = False) -> RoundResult:
    """Ask the contacts who had a ticket solved since the last round (periodic task).

    The mail is about the contact's latest solved ticket in the period: it
    goes from that ticket's mailbox, and an answer by mail lands on it.
    """
    now = now or timezone.now()
    row = SurveySettings.load()
    if not (force or nps_round_due(row, now)):
        return RoundResult()
    since = row.nps_last_round_at or now - timedelta(days=row.nps_interval_days)
    latest: dict[int, Ticket] = {}
    solved = (
        Ticket.objects.filter(solved_at__gte=since, solved_at__lt=now)
        .select_related("requester")
        .order_by("solved_at", "id")
    )
    for ticket in solved.iterator(chunk_size=1000):
        latest[ticket.requester_id] = ticket
    sent = skipped = 0
    for ticket in latest.values():
        outcome = _send(
            kind=SurveyKind.NPS,
            contact=ticket.requester,
            ticket=ticket,
            about=None,
            cooldown_days=row.nps_cooldown_days,
            now=now,
        )
        if outcome.invitation is None:
            skipped += 1
        else:
            sent += 1
    SurveySettings.objects.filter(pk=row.pk).update(nps_last_round_at=now)
    log.info("NPS round: %d sent, %d skipped", sent, skipped)
    return RoundResult(sent=sent, skipped=skipped, ran=True)
