"""Survey links: signed, bound to one invitation and ticket, expiring; changeable for a while."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tiski.surveys import links
from tiski.surveys.models import SurveyInvitation, SurveyKind, SurveySettings
from tiski.tickets.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation(make_ticket):
    ticket = make_ticket()
    return SurveyInvitation.objects.create(
        kind=SurveyKind.CSAT,
        ticket=ticket,
        contact=ticket.requester,
        language="fi",
        email="maija@example.com",
        sent_at=timezone.now(),
    )


@pytest.fixture
def other_invitation(make_ticket):
    ticket = make_ticket(subject="Toinen tiketti")
    return SurveyInvitation.objects.create(
        kind=SurveyKind.CSAT,
        ticket=ticket,
        contact=ticket.requester,
        language="fi",
        email="pekka@example.com",
        sent_at=timezone.now(),
    )


def rate_path(invitation_id: int, token: str, score: int) -> str:
    return reverse(
        "surveys:rate", kwargs={"invitation_id": invitation_id, "token": token, "score": score}
    )


def test_a_valid_link_rates_without_login(client, invitation):
    response = client.get(rate_path(invitation.pk, links.make_token(invitation), 4))
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.score == 4


def test_a_forged_token_is_refused(client, invitation):
    forged = signing.dumps({"i": invitation.pk, "t": invitation.ticket_id, "k": "csat"}, salt="x")
    response = client.get(rate_path(invitation.pk, forged, 1))
    assert response.status_code == 403
    assert "ei toimi" in response.content.decode() or "does not work" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.score is None


def test_an_altered_token_is_refused(client, invitation):
    token = links.make_token(invitation)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(rate_path(invitation.pk, altered, 1)).status_code == 403


def test_another_invitations_token_is_refused(client, invitation, other_invitation):
    """A link from one ticket's mail does not rate another ticket's survey."""
    token = links.make_token(invitation)
    response = client.get(rate_path(other_invitation.pk, token, 1))
    assert response.status_code == 403
    other_invitation.refresh_from_db()
    assert other_invitation.score is None


def test_a_token_whose_ticket_changed_is_refused(client, invitation, other_invitation):
    """The token names the ticket too: an invitation pointed elsewhere does not open."""
    token = links.make_token(invitation)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(ticket=other_invitation.ticket)
    assert client.get(rate_path(invitation.pk, token, 1)).status_code == 403


def test_an_expired_link_is_refused(client, invitation):
    days = SurveySettings.load().link_days
    token = links.make_token(invitation)
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=1)):
        response = client.get(rate_path(invitation.pk, token, 5))
    assert response.status_code == 410
    invitation.refresh_from_db()
    assert invitation.score is None


def test_the_link_still_works_just_before_it_expires(client, invitation):
    days = SurveySettings.load().link_days
    token = links.make_token(invitation)
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=-5)):
        assert client.get(rate_path(invitation.pk, token, 5)).status_code == 200


def test_a_score_outside_the_scale_is_refused(client, invitation):
    response = client.get(rate_path(invitation.pk, links.make_token(invitation), 9))
    assert response.status_code == 400
    invitation.refresh_from_db()
    assert invitation.score is None


def test_a_rating_can_be_changed_within_the_window_then_not(client, invitation):
    token = links.make_token(invitation)
    start = timezone.now()
    with time_machine.travel(start):
        client.get(rate_path(invitation.pk, token, 2))
    change_days = SurveySettings.load().change_days
    with time_machine.travel(start + timedelta(days=change_days) - timedelta(hours=1)):
        assert client.get(rate_path(invitation.pk, token, 4)).status_code == 200
    invitation.refresh_from_db()
    assert invitation.score == 4
    with time_machine.travel(start + timedelta(days=change_days, hours=1)):
        response = client.get(rate_path(invitation.pk, token, 1))
    assert response.status_code == 409
    invitation.refresh_from_db()
    assert invitation.score == 4
    changes = list(
        Event.objects.filter(ticket=invitation.ticket, field="satisfaction").values_list(
            "old_value", "new_value"
        )
    )
    assert changes == [("", "2"), ("2", "4")]


def test_clicking_the_same_score_twice_records_one_event(client, invitation):
    token = links.make_token(invitation)
    client.get(rate_path(invitation.pk, token, 3))
    client.get(rate_path(invitation.pk, token, 3))
    assert Event.objects.filter(ticket=invitation.ticket, field="satisfaction").count() == 1


def test_unsubscribe_needs_the_button_and_then_opts_out(client, invitation):
    path = reverse(
        "surveys:unsubscribe",
        kwargs={"invitation_id": invitation.pk, "token": links.make_token(invitation)},
    )
    assert client.get(path).status_code == 200
    invitation.contact.refresh_from_db()
    assert not invitation.contact.surveys_opt_out
    assert client.post(path).status_code == 200
    invitation.contact.refresh_from_db()
    assert invitation.contact.surveys_opt_out


def test_survey_pages_speak_the_invitations_language(client, invitation):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(language="en")
    path = reverse(
        "surveys:survey",
        kwargs={"invitation_id": invitation.pk, "token": links.make_token(invitation)},
    )
    html = client.get(path, HTTP_ACCEPT_LANGUAGE="fi").content.decode()
    assert 'lang="en"' in html
    assert "How did we do" in html


def test_survey_pages_carry_no_inline_code(client, invitation):
    path = reverse(
        "surveys:survey",
        kwargs={"invitation_id": invitation.pk, "token": links.make_token(invitation)},
    )
    response = client.get(path)
    html = response.content.decode()
    assert "<script" not in html
    assert "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no onclick= and friends
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_a_mails_links_are_the_links_each_page_reverses(make_ticket, make_contact):
    """survey_links builds the score and unsubscribe links under the page's
    path; they must stay what reversing each page gives."""
    ticket = make_ticket()
    invitation = SurveyInvitation.objects.create(
        kind="csat", ticket=ticket, contact=ticket.requester, sent_at=timezone.now()
    )
    made = links.survey_links(invitation)
    # A batch of mails reverses the page's path once: the same links.
    assert links.survey_links(invitation, links.page_path_start()) == made
    assert made.page == links.survey_url(invitation)
    assert made.unsubscribe == links.survey_url(invitation, "unsubscribe")
    assert made.rate == {
        score: links.survey_url(invitation, "rate", score=score) for score in range(1, 6)
    }
