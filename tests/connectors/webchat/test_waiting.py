"""The "chat waiting" trigger event: a visitor who is still there and unanswered too long."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tiski.connectors.webchat import services, waiting
from tiski.connectors.webchat.tasks import announce_waiting
from tiski.rules.models import RuleFiring, Trigger
from tiski.rules.registry import TRIGGER_EVENT_LABELS, TRIGGER_EVENTS
from tiski.tickets import actions
from tiski.tickets.models import Channel, MessageKind, Priority, Via

pytestmark = pytest.mark.django_db


@pytest.fixture
def raise_priority():
    return Trigger.objects.create(
        name="Chat odottaa",
        events=["chat_waiting"],
        conditions={},
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )


def _chat(widget, *, at):
    session = services.start_session(widget, "fi")
    services.opened(session.pk)
    services.identify(session, name="", email="liisa@example.com")
    services.receive(session, client_id="c1", text="Onko ketään?", at=at)
    session.refresh_from_db()
    return session


def test_the_event_is_offered_to_triggers():
    assert "chat_waiting" in TRIGGER_EVENTS and "chat_waiting" in TRIGGER_EVENT_LABELS


def test_a_chat_unanswered_too_long_sets_off_the_trigger_once(widget, raise_priority, settings):
    settings.TISKI_WEBCHAT_WAITING_SECONDS = 120
    now = timezone.now()
    session = _chat(widget, at=now - timedelta(minutes=3))
    assert announce_waiting() == 1
    session.ticket.refresh_from_db()
    assert session.ticket.priority == Priority.URGENT
    assert RuleFiring.objects.filter(ticket=session.ticket).count() == 1
    # The next pass leaves the same unanswered message alone.
    assert announce_waiting() == 0
    # A new message, unanswered long enough, is announced again.
    services.receive(session, client_id="c2", text="Hei?", at=now - timedelta(minutes=2))
    assert waiting.announce_waiting(now + timedelta(minutes=1)) == 1


def test_not_yet_answered_or_gone_is_not_waiting(widget, make_user, raise_priority, mailbox):
    now = timezone.now()
    fresh = _chat(widget, at=now - timedelta(seconds=30))
    assert announce_waiting() == 0  # not long enough yet
    answered = _chat(widget, at=now - timedelta(minutes=5))
    actions.add_message(
        answered.ticket,
        kind=MessageKind.PUBLIC,
        actor=make_user(),
        via=Via.AGENT,
        text="Hetki vain",
        channel=Channel.EMAIL,
        meta={"mailbox": "tuki@tiski.example", "cc": [], "bcc": []},
    )
    gone = _chat(widget, at=now - timedelta(minutes=5))
    services.closed(gone.pk)
    assert announce_waiting() == 0
    assert fresh.ticket.priority != Priority.URGENT
