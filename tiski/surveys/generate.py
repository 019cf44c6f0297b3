"""Realistic survey answers for a generated desk (`tiski generate-data`).

Called once after the tickets are written: about a third of the solved
tickets whose requester has an email address got a CSAT survey a few
minutes after solving, and about 40 % of those were answered within two
days, mostly satisfied, with a short comment now and then. Each answered
CSAT gets its ``satisfaction`` event, as `tickets.actions.record_satisfaction`
would have written (and the ticket's ``updated_at`` stays its last
activity, as the ticket generator keeps it). NPS rounds every 90 days went to a quarter of the
contacts with a solved ticket in the round's period.

Like the ticket generator it writes rows in batches (bulk_create): history
in the past needs no rules, mail or pushes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tiski.core.bulk import update_rows
from tiski.customers.models import Identity, IdentityKind
from tiski.tickets.models import Event, EventKind, Status, Ticket, Via

from .models import SurveyInvitation, SurveyKind

CSAT_SHARE = 0.35
CSAT_ANSWERED = 0.4
CSAT_WEIGHTS = ((5, 52), (4, 26), (3, 10), (2, 6), (1, 6))
NPS_ROUND = timedelta(days=90)
NPS_SHARE = 0.25
NPS_ANSWERED = 0.3
NPS_WEIGHTS = tuple(
    (score, weight)
    for score, weight in zip(range(11), (3, 1, 1, 2, 2, 4, 6, 12, 18, 25, 26), strict=True)
)
COMMENT_SHARE = 0.3
COMMENTS = {
    "fi": {
        "good": (
            "Nopeaa ja ystävällistä palvelua, kiitos!",
            "Asia ratkesi heti.",
            "Selkeä vastaus.",
        ),
        "bad": (
            "Vastausta piti odottaa liian kauan.",
            "Asia ei ratkennut.",
            "Jouduin kertomaan saman monta kertaa.",
        ),
    },
    "en": {
        "good": ("Quick and friendly, thank you!", "Solved right away.", "Clear answer."),
        "bad": ("I had to wait too long.", "My problem was not solved.", "I had to repeat myself."),
    },
}
BATCH = 5000


@dataclass
class SurveyCounts:
    csat: int = 0
    nps: int = 0
    answered: int = 0


def _pick(rng: random.Random, weights: tuple[tuple[int, int], ...]) -> int:
    scores, shares = zip(*weights, strict=True)
    return rng.choices(scores, shares)[0]


def _comment(rng: random.Random, language: str, good: bool) -> str:
    if rng.random() >= COMMENT_SHARE:
        return ""
    return rng.choice(COMMENTS.get(language, COMMENTS["fi"])["good" if good else "bad"])


def _solved_tickets() -> Iterator[tuple[int, int, int | None, int | None, datetime, datetime, str]]:
    return (
        Ticket.objects.filter(status__in=(Status.SOLVED, Status.CLOSED), solved_at__isnull=False)
        .order_by("id")
        .values_list(
            "id",
            "requester_id",
            "assignee_id",
            "team_id",
            "solved_at",
            "updated_at",
            "requester__language",
        )
        .iterator(chunk_size=BATCH)
    )


def _emails() -> dict[int, str]:
    """contact id -> a deliverable email address."""
    found: dict[int, str] = {}
    for contact_id, value in (
        Identity.objects.filter(kind=IdentityKind.EMAIL, undeliverable_at__isnull=True)
        .order_by("id")
        .values_list("contact_id", "value")
        .iterator(chunk_size=BATCH)
    ):
        found.setdefault(contact_id, value)
    return found


def _flush(invitations: list[SurveyInvitation], events: list[Event], touched: list[Ticket]) -> None:
    with transaction.atomic():
        SurveyInvitation.objects.bulk_create(invitations, batch_size=1000)
        for event in events:
            # The invitation's id exists only now.
            event.meta["survey"] = event.meta.pop("_invitation").pk
        Event.objects.bulk_create(events, batch_size=1000)
        update_rows(Ticket, touched, ["updated_at"])
    invitations.clear()
    events.clear()
    touched.clear()


def generate_surveys(*, seed: int = 1, now: datetime | None = None) -> SurveyCounts:
    """Survey history for every solved ticket already in the database."""
    rng = random.Random(seed)
    now = now or timezone.now()
    emails = _emails()
    counts = SurveyCounts()
    invitations: list[SurveyInvitation] = []
    events: list[Event] = []
    solved_by_contact: dict[int, list[datetime]] = {}
    touched: list[Ticket] = []
    for (
        ticket_id,
        contact_id,
        agent_id,
        team_id,
        solved_at,
        updated_at,
        language,
    ) in _solved_tickets():
        solved_by_contact.setdefault(contact_id, []).append(solved_at)
        email = emails.get(contact_id)
        if email is None or rng.random() >= CSAT_SHARE:
            continue
        language = "en" if (language or "").startswith("en") else "fi"
        sent = solved_at + timedelta(minutes=rng.randint(1, 20))
        if sent >= now:
            continue
        invitation = SurveyInvitation(
            kind=SurveyKind.CSAT,
            ticket_id=ticket_id,
            contact_id=contact_id,
            agent_id=agent_id,
            team_id=team_id,
            language=language,
            email=email,
            sent_at=sent,
        )
        counts.csat += 1
        answered = sent + timedelta(minutes=rng.randint(2, 48 * 60))
        if rng.random() < CSAT_ANSWERED and answered < now:
            score = _pick(rng, CSAT_WEIGHTS)
            invitation.score = score
            invitation.comment = _comment(rng, language, score >= 4)
            invitation.answered_at = answered
            counts.answered += 1
            events.append(
                Event(
                    ticket_id=ticket_id,
                    kind=EventKind.FIELD,
                    via=Via.CHANNEL,
                    field="satisfaction",
                    new_value=str(score),
                    meta={"scale": "csat", "_invitation": invitation},
                    created_at=answered,
                )
            )
            if answered > updated_at:
                # updated_at stays the last activity, events included.
                touched.append(Ticket(pk=ticket_id, updated_at=answered))
        invitations.append(invitation)
        if len(invitations) >= BATCH:
            _flush(invitations, events, touched)
    _flush(invitations, events, touched)
    counts.nps, answered = _generate_nps(rng, solved_by_contact, emails, now)
    counts.answered += answered
    return counts


def _generate_nps(
    rng: random.Random,
    solved_by_contact: dict[int, list[datetime]],
    emails: dict[int, str],
    now: datetime,
) -> tuple[int, int]:
    """NPS rounds every 90 days, back from now, to a share of the recent customers."""
    if not solved_by_contact:
        return 0, 0
    first = min(min(times) for times in solved_by_contact.values())
    rounds: list[datetime] = []
    at = now - NPS_ROUND
    while at > first:
        rounds.append(at)
        at -= NPS_ROUND
    sent = answered = 0
    batch: list[SurveyInvitation] = []
    for contact_id, times in solved_by_contact.items():
        email = emails.get(contact_id)
        if email is None:
            continue
        for round_at in rounds:
            if not any(round_at - NPS_ROUND <= t < round_at for t in times):
                continue
            if rng.random() >= NPS_SHARE:
                continue
            invitation = SurveyInvitation(
                kind=SurveyKind.NPS, contact_id=contact_id, email=email, sent_at=round_at
            )
            sent += 1
            if rng.random() < NPS_ANSWERED:
                score = _pick(rng, NPS_WEIGHTS)
                invitation.score = score
                invitation.answered_at = round_at + timedelta(hours=rng.randint(1, 72))
                answered += 1
            batch.append(invitation)
            if len(batch) >= BATCH:
                SurveyInvitation.objects.bulk_create(batch, batch_size=1000)
                batch.clear()
    SurveyInvitation.objects.bulk_create(batch, batch_size=1000)
    return sent, answered
