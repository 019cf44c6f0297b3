"""A call's duration and recording reach its message through the ticket actions."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import PASSWORD
from tiski.connectors.phone.models import Call
from tiski.customers.actions import add_identity
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Event, MessageKind, Status, Via

from .test_webhook import normal_call

RECORDED: list[TicketChange] = []


def record_change(change: TicketChange) -> None:
    RECORDED.append(change)


@pytest.fixture
def recorded(settings):
    RECORDED.clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tests.connectors.phone.test_call_meta.record_change"]
    return RECORDED


@pytest.fixture
def call_message(make_ticket, make_user):
    ticket = make_ticket(subject="Soitto")
    agent = make_user()
    return actions.add_message(
        ticket,
        kind=MessageKind.CALL,
        actor=agent,
        via=Via.AGENT,
        channel="phone",
        text="Soitti tilauksesta",
        meta={"call": 1, "duration": None, "recording_url": "", "note": "kept"},
    )


@pytest.mark.django_db
def test_update_message_meta_writes_one_event_and_announces(
    call_message, recorded, django_capture_on_commit_callbacks
):
    """Only keys that really change are set and recorded, others stay; the ticket hears of it."""
    with django_capture_on_commit_callbacks(execute=True):
        event = actions.update_message_meta(
            call_message,
            {"duration": 220, "recording_url": "https://pbx.example/r.mp3", "call": 1},
            actor=None,
            via=Via.CHANNEL,
        )
    call_message.refresh_from_db()
    assert call_message.meta == {
        "call": 1,
        "duration": 220,
        "recording_url": "https://pbx.example/r.mp3",
        "note": "kept",
    }
    assert event.field == "message_meta" and event.via == Via.CHANNEL and event.actor is None
    assert event.meta == {"message_id": call_message.pk, "keys": ["duration", "recording_url"]}
    assert json.loads(event.old_value) == {"duration": None, "recording_url": ""}
    assert json.loads(event.new_value) == {
        "duration": 220,
        "recording_url": "https://pbx.example/r.mp3",
    }
    [change] = recorded
    assert change.ticket_id == call_message.ticket_id and change.via == Via.CHANNEL
    # Touched, not edited: no field change for rules to answer, no message to mail.
    assert change.fields == {} and change.messages == ()

    again = actions.update_message_meta(
        call_message, {"duration": 220}, actor=None, via=Via.CHANNEL
    )
    assert again is None
    assert Event.objects.filter(field="message_meta").count() == 1


@pytest.mark.django_db
def test_update_message_meta_refuses_a_closed_ticket(call_message):
    """Closed tickets are read-only, their messages too."""
    actions.update_ticket(call_message.ticket, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    call_message.ticket.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.update_message_meta(call_message, {"duration": 5}, actor=None, via=Via.CHANNEL)
    call_message.refresh_from_db()
    assert call_message.meta["duration"] is None


@pytest.fixture
def logged(client, post_event, make_user, make_ticket, team):
    """Minna answers, logs the call on the caller's ticket while still talking."""
    minna = make_user(teams=(team,), email="minna@yritys.fi", name="Minna Virtanen")
    ticket = make_ticket(subject="Tilaus", team=team)
    add_identity(ticket.requester, "phone", "+358401234567")
    for payload in normal_call()[:2]:
        post_event(payload)
    call = Call.objects.get()
    client.login(username=minna.email, password=PASSWORD)
    client.post(f"/phone/calls/{call.pk}/log/", {"ticket": ticket.number, "note": "Tilauksesta"})
    return {"ticket": ticket, "message": ticket.messages.get(kind=MessageKind.CALL)}


@pytest.mark.django_db(transaction=True)
def test_call_ending_after_logging_is_an_event_on_the_ticket(client, post_event, logged):
    """The ended event fills in duration and recording through the action, with an event."""
    message = logged["message"]
    assert message.meta["duration"] is None
    post_event(normal_call()[2])
    message.refresh_from_db()
    assert message.meta["duration"] == 220
    assert message.meta["recording_url"] == "https://pbx.example/rec/c-1.mp3"
    event = logged["ticket"].events.get(field="message_meta")
    assert event.via == Via.CHANNEL and event.meta["message_id"] == message.pk
    assert {"duration", "recording_url", "cause"} <= set(event.meta["keys"])
    # A retried delivery of the same event changes nothing and records nothing.
    post_event(normal_call()[2])
    assert logged["ticket"].events.filter(field="message_meta").count() == 1
    page = client.get(logged["ticket"].get_absolute_url()).content.decode()
    assert f'data-event-id="{event.pk}"' in page and "3 min 40 s" in page


@pytest.mark.django_db(transaction=True)
def test_call_ending_after_the_ticket_closed_leaves_it_alone(post_event, logged):
    """A closed ticket is read-only: the webhook still answers 200; the call keeps the details."""
    ticket = logged["ticket"]
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    response = post_event(normal_call()[2])
    assert response.status_code == 200
    logged["message"].refresh_from_db()
    assert logged["message"].meta["duration"] is None
    assert Call.objects.get().duration == 220
    assert not ticket.events.filter(field="message_meta").exists()
