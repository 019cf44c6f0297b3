"""The whole CSAT flow: solve, shipped trigger, mail through the outbox, one click, comment."""

from __future__ import annotations

import importlib

import pytest
from django.core import mail
from django.utils import translation

from tiski.connectors.models import OutboundEmail, OutboundKind, OutboundStatus
from tiski.desk.timeline import build_timeline
from tiski.rules.models import RuleFiring, Trigger
from tiski.rules.registry import validate_rule_definition
from tiski.surveys.models import SurveyInvitation, SurveySettings
from tiski.tickets.models import Event

from .conftest import links_of, path_of, survey_mails

pytestmark = pytest.mark.django_db

SHIPPED = "Kysy tyytyväisyyttä, kun tiketti ratkaistaan"


def test_the_survey_trigger_ships_active_and_the_bad_rating_rule_off():
    assert Trigger.objects.get(name=SHIPPED).active
    bad = Trigger.objects.get(name__startswith="Huono arvio")
    assert not bad.active
    assert bad.events == ["satisfaction_rated"]


def test_the_shipped_survey_triggers_are_valid_rules():
    module = importlib.import_module("tiski.surveys.migrations.0003_shipped_rules")
    for rule in module.SURVEY_TRIGGERS:
        validate_rule_definition(
            kind="trigger",
            events=rule["events"],
            conditions=rule["conditions"],
            actions=rule["actions"],
        )


def test_solving_sends_one_survey_mail_in_the_requesters_language(receive, solve, agent):
    ticket = solve(receive())
    [message] = survey_mails()
    assert message.to == ["maija@example.com"]
    assert "Miten onnistuimme?" in message.subject
    assert f"[#{ticket.number}]" in message.subject
    assert "Tilaus ei ole saapunut" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-replied"
    links = links_of(message)
    rate_links = [link for link in links if "/rate/" in link]
    assert [link.rstrip("/").rsplit("/", 1)[1] for link in rate_links] == ["1", "2", "3", "4", "5"]
    assert any(link.endswith("/unsubscribe/") for link in links)
    html = message.alternatives[0][0]
    assert html.count("/rate/") == 5
    invitation = SurveyInvitation.objects.get()
    assert (invitation.ticket, invitation.agent, invitation.team) == (
        ticket,
        agent,
        agent.teams.first(),
    )
    assert invitation.email == "maija@example.com"
    assert invitation.language == "fi"
    row = OutboundEmail.objects.get(kind=OutboundKind.SURVEY)
    assert row.status == OutboundStatus.SENT
    firing = RuleFiring.objects.get(rule_name=SHIPPED)
    assert firing.effective


def test_english_requester_gets_the_english_text(receive, solve):
    ticket = receive()
    ticket.requester.language = "en"
    ticket.requester.save()
    solve(ticket)
    [message] = survey_mails()
    assert "How did we do?" in message.subject
    assert "How did we do with your request" in message.body


def test_admin_texts_are_used(receive, solve):
    row = SurveySettings.load()
    row.csat_subject_fi = "Kerro mielipiteesi #{{ ticket.number }}"
    row.save()
    ticket = solve(receive())
    [message] = survey_mails()
    assert f"Kerro mielipiteesi #{ticket.number}" in message.subject


def test_one_click_then_comment_shows_on_the_ticket(receive, solve, client, committed):
    ticket = solve(receive())
    [message] = survey_mails()
    two = next(link for link in links_of(message) if link.endswith("/rate/2/"))
    with committed():
        page = client.get(path_of(two))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'lang="fi"' in text
    assert "Kiitos" in text
    invitation = SurveyInvitation.objects.get()
    assert invitation.score == 2
    assert invitation.answered_at is not None
    comment_url = next(
        link
        for link in links_of(message)
        if link.endswith("/") and "/rate/" not in link and "unsubscribe" not in link
    )
    with committed():
        thanks = client.post(
            path_of(comment_url), {"score": "2", "comment": "Paketti tuli myöhässä."}
        )
    assert thanks.status_code == 200
    invitation.refresh_from_db()
    assert invitation.comment == "Paketti tuli myöhässä."
    events = list(Event.objects.filter(ticket=ticket, field__startswith="satisfaction"))
    assert [(e.field, e.new_value) for e in events] == [
        ("satisfaction", "2"),
        ("satisfaction_comment", "Paketti tuli myöhässä."),
    ]
    with translation.override("en"):
        texts = [str(e.text) for e in build_timeline(ticket) if e.event is not None]
    assert any("rated the service 2 of 5 (dissatisfied)" in t for t in texts)
    assert any("Paketti tuli myöhässä." in t for t in texts)


def test_side_panel_shows_the_rating(receive, solve, client, committed, agent):
    from tests.conftest import PASSWORD

    ticket = solve(receive())
    [message] = survey_mails()
    five = next(link for link in links_of(message) if link.endswith("/rate/5/"))
    with committed():
        client.get(path_of(five))
    client.login(username=agent.email, password=PASSWORD)
    page = client.get(ticket.get_absolute_url())
    html = page.content.decode()
    assert 'id="satisfaction"' in html
    assert "5 / 5" in html or "5 of 5" in html or "5/5" in html or "5 viidestä" in html


def test_surveys_switched_off_send_nothing_and_say_why(receive, solve):
    row = SurveySettings.load()
    row.csat_enabled = False
    row.save()
    ticket = solve(receive())
    assert survey_mails() == []
    firing = RuleFiring.objects.get(rule_name=SHIPPED, ticket=ticket)
    assert "switched off" in str(firing.details)


def test_switching_the_trigger_off_stops_the_survey(receive, solve):
    Trigger.objects.filter(name=SHIPPED).update(active=False)
    solve(receive())
    assert survey_mails() == []
    assert not mail.outbox or all("/survey/" not in m.body for m in mail.outbox)
