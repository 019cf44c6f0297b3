"""NPS: periodic rounds to contacts with a solved ticket, the same exclusions, and the maths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tiski.surveys import metrics
from tiski.surveys.models import SurveyInvitation, SurveyKind, SurveySettings
from tiski.surveys.send import send_nps_round
from tiski.surveys.tasks import nps_round

from .conftest import customer_mail, links_of, path_of, survey_mails

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps_on(db):
    row = SurveySettings.load()
    row.nps_enabled = True
    row.csat_enabled = False  # only NPS mail in these tests
    row.save()
    return row


def nps_mails():
    return [m for m in survey_mails() if "/rate/10/" in m.body]


def test_round_asks_each_contact_with_a_solved_ticket_once(nps_on, receive, solve, committed):
    solve(receive())
    solve(receive(customer_mail(subject="Toinen", message_id="c2@example.com")))
    solve(receive(customer_mail(sender="pekka@example.com", message_id="c3@example.com")))
    receive(customer_mail(sender="open@example.com", message_id="c4@example.com"))  # not solved
    with committed():
        result = send_nps_round()
    assert (result.sent, result.ran) == (2, True)
    assert sorted(m.to[0] for m in nps_mails()) == ["maija@example.com", "pekka@example.com"]
    [message] = [m for m in nps_mails() if m.to == ["maija@example.com"]]
    assert "Suosittelisitko" in message.subject
    assert [
        link.rstrip("/").rsplit("/", 1)[1] for link in links_of(message) if "/rate/" in link
    ] == [str(n) for n in range(11)]
    assert SurveyInvitation.objects.filter(kind=SurveyKind.NPS, ticket__isnull=True).count() == 2


def test_the_task_runs_only_when_a_round_is_due(nps_on, receive, solve, committed):
    solve(receive())
    with committed():
        assert nps_round()["sent"] == 1
    solve(receive(customer_mail(sender="pekka@example.com", message_id="c3@example.com")))
    with committed():
        assert nps_round()["ran"] == 0  # the interval has not passed
    SurveySettings.objects.update(nps_last_round_at=timezone.now() - timedelta(days=31))
    with committed():
        assert nps_round()["sent"] == 1  # only Pekka: his ticket was solved since the last round


def test_nps_off_sends_nothing(receive, solve, committed):
    solve(receive())
    with committed():
        assert not send_nps_round().ran


def test_round_uses_the_exclusions_and_the_cool_down(nps_on, receive, solve, committed):
    opted = solve(receive(customer_mail(sender="pois@example.com", message_id="o@example.com")))
    opted.requester.surveys_opt_out = True
    opted.requester.save()
    solve(
        receive(
            customer_mail(
                extra="Precedence: bulk\r\n", sender="robot@example.com", message_id="r@example.com"
            )
        )
    )
    asked = solve(receive())
    SurveyInvitation.objects.create(
        kind=SurveyKind.NPS, contact=asked.requester, sent_at=timezone.now() - timedelta(days=10)
    )
    with committed():
        result = send_nps_round()
    assert (result.sent, result.skipped) == (0, 3)
    assert nps_mails() == []


def test_answering_nps_records_the_score_and_no_ticket_event(
    nps_on, receive, solve, committed, client
):
    ticket = solve(receive())
    with committed():
        send_nps_round()
    [message] = nps_mails()
    nine = next(link for link in links_of(message) if link.endswith("/rate/9/"))
    assert client.get(path_of(nine)).status_code == 200
    invitation = SurveyInvitation.objects.get(kind=SurveyKind.NPS)
    assert invitation.score == 9
    assert not ticket.events.filter(field="satisfaction").exists()


def test_nps_maths():
    """10 answered of 20 sent: 5 promoters, 2 passives, 3 detractors -> NPS 20, response 50 %."""
    result = metrics.nps_from_scores([10, 9, 9, 10, 9, 8, 7, 6, 0, 3], sent=20)
    assert (result.promoters, result.passives, result.detractors) == (5, 2, 3)
    assert result.score == 20.0
    assert result.response_rate == 50.0


def test_nps_edges():
    assert metrics.nps_from_scores([], sent=4).score is None
    assert metrics.nps_from_scores([], sent=0).response_rate is None
    assert metrics.nps_from_scores([0, 1, 6], sent=3).score == -100.0
    assert metrics.nps_from_scores([9, 10], sent=2).score == 100.0
    assert metrics.nps_from_scores([7, 8], sent=2).score == 0.0


def test_csat_maths():
    result = metrics.csat_from_scores([5, 4, 3, 1], sent=8)
    assert result.score == 50.0
    assert result.response_rate == 50.0


def test_period_figures_from_the_rows(make_contact):
    now = timezone.now()
    contact = make_contact()
    for score in (10, 9, 5, None):
        SurveyInvitation.objects.create(
            kind=SurveyKind.NPS,
            contact=contact,
            sent_at=now - timedelta(days=1),
            score=score,
            answered_at=now if score is not None else None,
        )
    # Sent before the period: not counted, even though answered inside it.
    SurveyInvitation.objects.create(
        kind=SurveyKind.NPS,
        contact=contact,
        sent_at=now - timedelta(days=40),
        score=0,
        answered_at=now,
    )
    result = metrics.nps(now - timedelta(days=30), now)
    assert (result.sent, result.answered) == (4, 3)
    assert result.score == round(100 * (2 - 1) / 3, 1)
    assert result.response_rate == 75.0
