"""Survey history for generated desks (`tiski generate-data`) and the demo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from tiski.operations.generate import generate
from tiski.surveys.models import SurveyInvitation, SurveyKind
from tiski.tickets.models import Event, Status

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """600 generated tickets over a year (their surveys come with them), rolled back after."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        with transaction.atomic():
            generate(600, seed=3, batch=200, agents=6, teams=2, history=timedelta(days=365))
            yield
            transaction.set_rollback(True)


def test_a_share_of_solved_tickets_was_asked_and_some_answered(generated, db):
    csat = SurveyInvitation.objects.filter(kind=SurveyKind.CSAT)
    assert csat.count() > 50
    answered = csat.filter(score__isnull=False)
    assert 0.25 <= answered.count() / csat.count() <= 0.55
    assert set(answered.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}
    satisfied = answered.filter(score__gte=4).count() / answered.count()
    assert 0.6 <= satisfied <= 0.95  # mostly happy, like real desks
    assert not csat.exclude(ticket__status__in=(Status.SOLVED, Status.CLOSED)).exists()
    for invitation in csat.select_related("ticket")[:200]:
        assert invitation.sent_at >= invitation.ticket.solved_at
        assert invitation.answered_at is None or invitation.answered_at > invitation.sent_at


def test_each_answer_has_its_event_on_the_ticket(generated, db):
    answered = SurveyInvitation.objects.filter(kind=SurveyKind.CSAT, score__isnull=False)
    events = Event.objects.filter(field="satisfaction")
    assert events.count() == answered.count()
    by_survey = {e.meta["survey"]: e for e in events}
    for invitation in answered:
        event = by_survey[invitation.pk]
        assert (event.ticket_id, event.new_value) == (invitation.ticket_id, str(invitation.score))


def test_nps_rounds_have_scores_from_zero_to_ten(generated, db):
    nps = SurveyInvitation.objects.filter(kind=SurveyKind.NPS)
    assert nps.count() > 0
    assert not nps.filter(ticket__isnull=False).exists()
    assert set(nps.filter(score__isnull=False).values_list("score", flat=True)) <= set(range(11))


@pytest.mark.django_db
def test_the_demo_has_a_csat_history(settings):
    from tiski.operations.demo_data import populate

    settings.PASSWORD_HASHERS = FAST_HASHER
    populate()
    csat = SurveyInvitation.objects.filter(kind=SurveyKind.CSAT)
    assert csat.count() > 5
    # Surveys the shipped trigger sent while the demo was written belong to the solving.
    assert not csat.filter(sent_at__lt=F("ticket__solved_at")).exists()
    answered = csat.filter(score__isnull=False)
    assert answered.exists()
    assert Event.objects.filter(field="satisfaction").count() == answered.count()
    assert answered.filter(score__lte=2).exists() and answered.filter(score__gte=4).exists()
