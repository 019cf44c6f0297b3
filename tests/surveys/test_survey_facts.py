"""A CSAT survey's report row (`reports.survey_facts`) follows the survey and
its ticket: written when the survey is sent, changed by the answer and by a
move of the ticket, gone when the ticket is merged, and always equal to a
recount (`tiski report --verify`)."""

from __future__ import annotations

import pytest

from tiski.reports import facts
from tiski.reports.models import SurveyFact, TicketFact
from tiski.surveys import answers
from tiski.surveys.models import SurveyInvitation
from tiski.tickets import actions
from tiski.tickets.models import Via

from .conftest import customer_mail

pytestmark = pytest.mark.django_db


def test_sent_answered_moved_and_merged(receive, solve, agent, make_team, committed):
    ticket = solve(receive())
    invitation = SurveyInvitation.objects.get(ticket=ticket, kind="csat")
    row = SurveyFact.objects.get(invitation=invitation)
    fact = TicketFact.objects.get(ticket=ticket)
    assert (row.sent_at, row.agent_id, row.survey_team_id) == (
        invitation.sent_at,
        agent.pk,
        ticket.team_id,
    )
    assert (row.team_id, row.assignee_id, row.channel, row.priority) == (
        fact.team_id,
        fact.assignee_id,
        fact.channel,
        fact.priority,
    )
    assert row.answered_at is None and row.score is None
    assert list(facts.verify()) == []

    with committed():
        answers.record_answer(invitation, score=2)
    row.refresh_from_db()
    assert row.score == 2 and row.answered_at is not None

    # The ticket moves to another team: the survey still rates the team it
    # was solved in, and is now seen as the other team's ticket is.
    other = make_team("Laskutus")
    with committed():
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, team=other)
    row.refresh_from_db()
    assert (row.team_id, row.survey_team_id) == (other.pk, agent.teams.first().pk)
    assert list(facts.verify()) == []

    # Merged into another ticket: it is no longer counted.
    target = receive(customer_mail(message_id="c2@example.com", subject="Toinen asia"))
    with committed():
        actions.merge_tickets(ticket, target, actor=agent, via=Via.AGENT)
    assert not SurveyFact.objects.filter(invitation=invitation).exists()
    assert list(facts.verify()) == []


def test_verify_names_a_survey_fact_out_of_step(receive, solve):
    ticket = solve(receive())
    invitation = SurveyInvitation.objects.get(ticket=ticket, kind="csat")
    SurveyFact.objects.filter(invitation=invitation).update(score=5)
    assert any(f"survey {invitation.pk}:" in line for line in facts.verify())
    SurveyFact.objects.filter(invitation=invitation).delete()
    assert f"survey {invitation.pk}: survey fact recounted, not stored" in list(facts.verify())
    facts.refresh([ticket.pk])
    assert list(facts.verify()) == []


def test_a_survey_sent_after_the_facts_gets_its_row_at_once(receive, solve):
    """No ticket change follows a survey sent by itself: the row comes from
    the survey's own signal, from the facts already stored."""
    from tiski.surveys.send import send_csat

    ticket = solve(receive())
    SurveyInvitation.objects.filter(ticket=ticket).delete()
    assert not SurveyFact.objects.exists()
    outcome = send_csat(ticket)
    assert outcome.invitation is not None
    row = SurveyFact.objects.get(invitation=outcome.invitation)
    assert row.team_id == TicketFact.objects.get(ticket=ticket).team_id
    assert list(facts.verify()) == []
