"""A rating arrival is a ticket change: triggers on "satisfaction_rated" see the rating."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tiski.notifications.models import Notification
from tiski.rules.engine import event_names
from tiski.rules.facts import TicketFacts
from tiski.rules.models import Trigger
from tiski.rules.survey_types import SatisfactionRating
from tiski.surveys import answers
from tiski.surveys.models import SurveyInvitation, SurveyKind
from tiski.tickets.changes import TicketChange

pytestmark = pytest.mark.django_db

BAD_RULE = "Huono arvio: ilmoita tiimille ja lisää tunniste"


@pytest.fixture
def rated(make_ticket, make_user, make_team, committed):
    team = make_team("Asiakastuki")
    lead = make_user(teams=(team,), name="Tiina Tiiminvetäjä")
    ticket = make_ticket(team=team)
    invitation = SurveyInvitation.objects.create(
        kind=SurveyKind.CSAT,
        ticket=ticket,
        contact=ticket.requester,
        team=team,
        sent_at=timezone.now(),
    )

    def rate(score: int, comment: str | None = None):
        with committed():
            answers.record_answer(invitation, score=score, comment=comment)
        ticket.refresh_from_db()
        return ticket

    rate.lead = lead
    rate.ticket = ticket
    return rate


def tags(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def test_bad_rating_fires_the_shipped_rule_when_switched_on(rated):
    Trigger.objects.filter(name=BAD_RULE).update(active=True)
    ticket = rated(1)
    assert "huono-arvio" in tags(ticket)
    [notice] = Notification.objects.filter(user=rated.lead)
    assert f"#{ticket.number}" in notice.text


def test_good_rating_does_not_fire_it(rated):
    Trigger.objects.filter(name=BAD_RULE).update(active=True)
    ticket = rated(5)
    assert "huono-arvio" not in tags(ticket)
    assert not Notification.objects.exists()


def test_switched_off_as_shipped_nothing_happens(rated):
    ticket = rated(1)
    assert "huono-arvio" not in tags(ticket)


def test_a_comment_alone_does_not_fire_rating_rules_again(rated):
    Trigger.objects.filter(name=BAD_RULE).update(active=True)
    rated(2)
    ticket = rated.ticket
    ticket.tags.clear()
    with_comment = rated(2, comment="Huonoa palvelua")
    assert "huono-arvio" not in tags(with_comment)


def test_the_rating_event_is_not_a_field_change():
    change = TicketChange(
        ticket_id=1, via="channel", actor_id=None, fields={"satisfaction": ("", "2")}
    )
    assert event_names(change) == frozenset({"satisfaction_rated"})
    comment = TicketChange(
        ticket_id=1, via="channel", actor_id=None, fields={"satisfaction_comment": ("", "x")}
    )
    assert event_names(comment) == frozenset()


@pytest.mark.parametrize(
    ("score", "good", "neutral", "bad"),
    [
        (None, False, False, False),
        (1, False, False, True),
        (2, False, False, True),
        (3, False, True, False),
        (4, True, False, False),
        (5, True, False, False),
    ],
)
def test_the_condition_reads_the_latest_score(score, good, neutral, bad):
    now = timezone.now()
    facts = TicketFacts(
        ticket_id=1,
        number=1,
        status="solved",
        type_slug=None,
        priority="normal",
        team_id=None,
        assignee_id=None,
        channel="email",
        created_at=now,
        updated_at=now,
        now=now,
        loaded={"satisfaction": score},
    )
    assert SatisfactionRating(value="good").matches(facts) is good
    assert SatisfactionRating(value="neutral").matches(facts) is neutral
    assert SatisfactionRating(value="bad").matches(facts) is bad
