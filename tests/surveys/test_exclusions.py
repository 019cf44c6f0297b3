"""Who gets no survey: each exclusion on its own, through the real solve -> trigger path."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tiski.connectors import outbox
from tiski.rules.models import RuleFiring
from tiski.surveys import exclusions
from tiski.surveys.models import SurveyInvitation, SurveyKind, SurveySettings

from .conftest import customer_mail, survey_mails

pytestmark = pytest.mark.django_db

SHIPPED = "Kysy tyytyväisyyttä, kun tiketti ratkaistaan"


def skipped_because(ticket) -> str:
    return str(RuleFiring.objects.get(rule_name=SHIPPED, ticket=ticket).details)


def test_a_plain_requester_is_asked(receive, solve):
    """The control case: the same path with no exclusion sends the survey."""
    solve(receive())
    assert len(survey_mails()) == 1


def test_no_survey_to_an_undeliverable_address(receive, solve):
    ticket = receive()
    outbox.mark_undeliverable("maija@example.com", "550 no such user")
    solve(ticket)
    assert survey_mails() == []
    assert not SurveyInvitation.objects.exists()
    assert "bounces" in skipped_because(ticket)


def test_no_survey_to_an_automatic_sender(receive, solve):
    ticket = receive(customer_mail(extra="Precedence: bulk\r\n"))
    solve(ticket)
    assert survey_mails() == []
    assert "automatic sender" in skipped_because(ticket)


def test_no_survey_to_a_no_reply_address(receive, solve):
    ticket = receive(customer_mail(sender="no-reply@kauppa.example"))
    solve(ticket)
    assert survey_mails() == []
    assert "automatic sender" in skipped_because(ticket)


def test_no_survey_to_an_opted_out_contact(receive, solve):
    ticket = receive()
    ticket.requester.surveys_opt_out = True
    ticket.requester.save()
    solve(ticket)
    assert survey_mails() == []
    assert "does not want surveys" in skipped_because(ticket)


def test_no_survey_about_a_ticket_imported_from_old_mail(receive, solve):
    # What `tiski import-mail` does without --live: receipts that suppress automatic mail.
    ticket = receive(source="import", suppress_automatic_mail=True)
    solve(ticket)
    assert survey_mails() == []
    assert "imported" in skipped_because(ticket)


def test_at_most_one_survey_per_contact_in_the_cool_down(receive, solve):
    first = receive()
    solve(first)
    assert len(survey_mails()) == 1
    second = receive(customer_mail(subject="Toinen asia", message_id="c2@example.com"))
    solve(second)
    assert survey_mails() == []
    assert "recently" in skipped_because(second)


def test_after_the_cool_down_the_contact_is_asked_again(receive, solve):
    first = receive()
    solve(first)
    row = SurveySettings.load()
    SurveyInvitation.objects.update(
        sent_at=timezone.now() - timedelta(days=row.csat_cooldown_days + 1)
    )
    second = receive(customer_mail(subject="Toinen asia", message_id="c2@example.com"))
    solve(second)
    assert len(survey_mails()) == 1


def test_a_reopened_and_solved_again_ticket_is_not_asked_twice(receive, solve, committed):
    from tiski.tickets import actions
    from tiski.tickets.models import Status, Via

    ticket = solve(receive())
    SurveyInvitation.objects.update(sent_at=timezone.now() - timedelta(days=60))
    with committed():
        actions.update_ticket(ticket, actor=None, via=Via.CHANNEL, status=Status.OPEN)
    solve(ticket)
    assert survey_mails() == []
    assert SurveyInvitation.objects.filter(kind=SurveyKind.CSAT).count() == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({}, ""),
        ({"opted_out": True}, "does not want"),
        ({"imported": True}, "imported"),
        ({"automatic_sender": True}, "automatic"),
        ({"bounced": True, "address": ""}, "bounces"),
        ({"address": ""}, "no email address"),
        ({"ticket_surveyed": True}, "already"),
        ({"surveyed_recently": True}, "recently"),
    ],
)
def test_reason_is_a_pure_decision(change, expected):
    base = {
        "address": "maija@example.com",
        "bounced": False,
        "opted_out": False,
        "automatic_sender": False,
        "imported": False,
        "surveyed_recently": False,
    }
    reason = exclusions.reason(exclusions.Candidate(**{**base, **change}))
    assert (expected in reason) if expected else reason == ""
