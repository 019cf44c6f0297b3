"""The demo desk's CSAT history: surveys on its solved tickets, most answered.

Run once after the demo's tickets exist. Answers are written through
`tickets.actions.record_satisfaction` (so each ticket's conversation and
side panel show them like a real answer) inside `changes.deferred()`:
past answers must not fire today's rules or send mail.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from tiski.customers.models import IdentityKind
from tiski.tickets import actions, changes
from tiski.tickets.models import Event, Status, Ticket

from .models import SurveyInvitation, SurveyKind

SCORES = (5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
COMMENTS = {
    "fi": {
        5: "Todella nopeaa palvelua, kiitos!",
        4: "Hyvä vastaus, vähän kesti.",
        2: "Jouduin odottamaan vastausta monta päivää.",
        1: "Asia ei ratkennut, ja jouduin kertomaan sen kahdesti.",
    },
    "en": {
        5: "Really quick service, thank you!",
        4: "Good answer, took a while.",
        2: "I had to wait days for an answer.",
        1: "Not solved, and I had to explain it twice.",
    },
}


def add_csat_history(*, seed: int = 1, now: datetime | None = None) -> int:
    """Surveys for the demo's solved and closed tickets; returns how many there are.

    Tickets the demo solved through the actions already got their survey
    from the shipped trigger; those are moved back to the time of solving
    and answered like the rest.
    """
    rng = random.Random(seed)
    now = now or timezone.now()
    tickets = (
        Ticket.objects.filter(status__in=(Status.SOLVED, Status.CLOSED), solved_at__isnull=False)
        .select_related("requester")
        .prefetch_related("requester__identities")
        .order_by("solved_at", "id")
    )
    already = {
        invitation.ticket_id: invitation
        for invitation in SurveyInvitation.objects.filter(
            kind=SurveyKind.CSAT, ticket__isnull=False
        )
    }
    last_event = dict(
        Event.objects.filter(ticket__in=tickets)
        .values("ticket_id")
        .annotate(last=Max("created_at"))
        .values_list("ticket_id", "last")
    )
    sent = 0
    with changes.deferred() as touched:
        for ticket in tickets:
            emails = [
                i.value for i in ticket.requester.identities.all() if i.kind == IdentityKind.EMAIL
            ]
            language = "en" if ticket.requester.language.startswith("en") else "fi"
            at = min(ticket.solved_at + timedelta(minutes=rng.randint(2, 15)), now)
            invitation = already.get(ticket.pk)
            if invitation is not None:
                # Sent by the shipped trigger while the demo was written: it
                # belongs to the moment the ticket was solved.
                invitation.sent_at = at
                invitation.save(update_fields=["sent_at"])
            elif not emails or rng.random() < 0.2:
                continue
            else:
                invitation = SurveyInvitation.objects.create(
                    kind=SurveyKind.CSAT,
                    ticket=ticket,
                    contact=ticket.requester,
                    agent_id=ticket.assignee_id,
                    team_id=ticket.team_id,
                    language=language,
                    email=emails[0],
                    sent_at=at,
                )
            sent += 1
            # Its report facts carry its surveys (reports.survey_facts): the
            # ticket is recounted with the answered ones at the end.
            touched.add(ticket.pk)
            if invitation.answered_at is not None:
                continue
            answered = at + timedelta(minutes=rng.randint(5, 24 * 60))
            # The ticket's history stays in time order: after its last event (a closing).
            answered = max(answered, last_event[ticket.pk] + timedelta(minutes=rng.randint(1, 90)))
            if answered >= now or rng.random() < 0.35:
                continue  # not answered (yet)
            score = rng.choice(SCORES)
            comment = COMMENTS[language].get(score, "") if rng.random() < 0.6 else ""
            invitation.score, invitation.comment, invitation.answered_at = score, comment, answered
            invitation.save(update_fields=["score", "comment", "answered_at"])
            actions.record_satisfaction(
                ticket,
                survey_id=invitation.pk,
                scale=SurveyKind.CSAT,
                score=score,
                old_score=None,
                comment=comment,
                comment_changed=bool(comment),
                at=answered,
            )
    changes.catch_up(touched)
    return sent
