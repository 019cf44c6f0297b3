"""Sending surveys: CSAT about a solved ticket, NPS rounds to recent customers.

Both write the invitation row and queue the mail in one transaction, so a
survey either exists and is on its way or does not exist at all. Every
"no" comes back as a reason in words (the rule log shows it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.customers.models import Contact
from tiski.tickets import automatic_mail
from tiski.tickets.automatic_mail import AutomaticMail, QueuedMail, send_automatic_mail
from tiski.tickets.models import Status, Ticket

from . import exclusions
from .links import page_path_start
from .mail import compose
from .models import SurveyInvitation, SurveyKind, SurveySettings
from .signals import invitations_sent

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
    return _queued(invitation, queued)


def _queued(invitation: SurveyInvitation, queued: QueuedMail) -> Outcome:
    """What the outbox's answer means for the survey: sent, or why not."""
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
    """Ask the requester of a solved ticket how we did (the rule action's work).

    The one-ticket form of `send_csat_many`: one path, so a survey a time
    pass sends for a chunk and one sent for a single solve cannot differ."""
    return send_csat_many([(ticket, from_address)], now=now)[0]


def send_csat_many(
    requests: Sequence[tuple[Ticket, str]], *, now: datetime | None = None
) -> list[Outcome]:
    """`send_csat` for many tickets at once (a trigger answering a time
    rule's chunk of solves), one outcome each, in order: ``requests`` are
    (ticket, from_address) pairs.

    The same invitations, mails and reasons as `send_csat` on each in
    turn, read and written a group at a time: the exclusions for all, the
    invitations in one INSERT (their ids sign the links), the mails through
    the outbox's many form, then the invitations whose mail will not go out
    deleted again. A contact asked about several of the tickets is taken
    one ticket per group, in order, so the cool-down sees the survey the
    ticket before it sent (or did not).
    """
    row = SurveySettings.load()
    if not row.csat_enabled:
        return [
            Outcome(reason=_("satisfaction surveys are switched off in Settings"))
            for _request in requests
        ]
    now = now or timezone.now()
    outcomes: list[Outcome | None] = [None] * len(requests)
    todo: list[int] = []
    for index, (ticket, _from) in enumerate(requests):
        if ticket.status not in (Status.SOLVED, Status.CLOSED):
            outcomes[index] = Outcome(reason=_("the ticket is not solved"))
        else:
            todo.append(index)
    while todo:
        group: list[int] = []
        later: list[int] = []
        seen: set[int] = set()
        for index in todo:
            contact_id = requests[index][0].requester_id
            (later if contact_id in seen else group).append(index)
            seen.add(contact_id)
        for index, outcome in zip(group, _send_csat_group(requests, group, row, now), strict=True):
            outcomes[index] = outcome
        todo = later
    return [outcome or Outcome() for outcome in outcomes]


def _send_csat_group(
    requests: Sequence[tuple[Ticket, str]],
    group: list[int],
    row: SurveySettings,
    now: datetime,
) -> list[Outcome]:
    """One survey per ticket of `group` (each of another contact)."""
    tickets = [requests[index][0] for index in group]
    candidates = exclusions.gather_csat_many(tickets, cooldown_days=row.csat_cooldown_days, now=now)
    outcomes: list[Outcome | None] = []
    invitations: list[SurveyInvitation] = []
    for ticket, candidate in zip(tickets, candidates, strict=True):
        why_not = exclusions.reason(candidate)
        if why_not:
            outcomes.append(Outcome(reason=why_not))
            continue
        outcomes.append(None)
        invitations.append(
            SurveyInvitation(
                kind=SurveyKind.CSAT,
                ticket=ticket,
                contact=ticket.requester,
                agent_id=ticket.assignee_id,
                team_id=ticket.team_id,
                language=_language(ticket.requester),
                email=candidate.address,
                sent_at=now,
            )
        )
    if not invitations:
        return [outcome or Outcome() for outcome in outcomes]
    from_address = {
        ticket.pk: requests[index][1] for index, ticket in zip(group, tickets, strict=True)
    }
    with transaction.atomic():
        if connection.features.can_return_rows_from_bulk_insert:
            SurveyInvitation.objects.bulk_create(invitations, batch_size=500)
        else:  # SQLite before 3.35: one by one, which sets each id
            for invitation in invitations:
                invitation.save(force_insert=True)
        mails = []
        path_start = page_path_start()
        for invitation in invitations:
            mail = compose(invitation, row, path_start)
            mails.append(
                AutomaticMail(
                    ticket=invitation.ticket,
                    to=[invitation.email],
                    subject=mail.subject,
                    text=mail.text,
                    html=mail.html,
                    kind=automatic_mail.SURVEY,
                    from_address=from_address[invitation.ticket_id],
                )
            )
        results = [
            _queued(invitation, queued)
            for invitation, queued in zip(
                invitations, automatic_mail.send_automatic_mails(mails), strict=True
            )
        ]
        # The mail will not go out: no survey was sent, so none is counted.
        unsent = [
            invitation.pk
            for invitation, result in zip(invitations, results, strict=True)
            if result.invitation is None
        ]
        if unsent:
            SurveyInvitation.objects.filter(pk__in=unsent).delete()
        gone = set(unsent)
        invitations_sent.send(
            sender=SurveyInvitation,
            invitations=[invitation for invitation in invitations if invitation.pk not in gone],
        )
    sent = iter(results)
    filled = [outcome if outcome is not None else next(sent) for outcome in outcomes]
    return filled


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
