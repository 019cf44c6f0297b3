"""Recorded call-event sequences through the webhook, checked in the database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
import time_machine

from tiski.connectors.phone.models import Call, Callback, CallEvent, PhoneLine
from tiski.customers.actions import add_identity
from tiski.sla.models import TicketSla
from tiski.tickets.models import Message, MessageKind, Status, Ticket

# Callback tickets, SLA and pushes happen after commit: commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

TUESDAY = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 10:00 Helsinki
CALLER = "040 123 4567"


def at(minute: int, second: int = 0) -> str:
    return f"2026-11-24T08:{minute:02d}:{second:02d}Z"


def normal_call(call_id="c-1", agent="minna@yritys.fi"):
    return [
        {
            "call_id": call_id,
            "event": "ringing",
            "timestamp": at(0),
            "from": CALLER,
            "to": "+358942410000",
            "agent": {"email": agent},
        },
        {
            "call_id": call_id,
            "event": "answered",
            "timestamp": at(0, 20),
            "agent": {"email": agent},
        },
        {
            "call_id": call_id,
            "event": "ended",
            "timestamp": at(4),
            "cause": "answered",
            "duration": 220,
            "recording_url": "https://pbx.example/rec/c-1.mp3",
        },
    ]


def abandoned_call(call_id="c-2", minute=10):
    return [
        {"call_id": call_id, "event": "ringing", "timestamp": at(minute), "from": CALLER},
        {"call_id": call_id, "event": "ended", "timestamp": at(minute + 1), "cause": "abandoned"},
    ]


@pytest.fixture
def minna(make_user, team):
    return make_user(teams=(team,), email="minna@yritys.fi", name="Minna Virtanen")


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def pushes(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "tiski.connectors.phone.services.send_to_user",
        lambda uid, ev, data: sent.append((uid, ev, data)),
    )
    return sent


def snapshot():
    """The final state the tests compare across delivery orders."""
    return [
        (
            c.call_id,
            c.direction,
            c.phase,
            c.cause,
            c.number,
            c.agent_id,
            c.duration,
            c.answered_at,
            c.ended_at,
            c.recording_url,
            c.contact_id,
        )
        for c in Call.objects.order_by("call_id")
    ]


def test_normal_call(post_event, minna, make_contact, pushes):
    """Ringing, answered, ended: one call, known contact, agent, duration, recording."""
    contact = make_contact(email="liisa@asiakas.fi", name="Liisa Lahtinen")
    add_identity(contact, "phone", "+358401234567")
    for payload in normal_call():
        response = post_event(payload)
        assert response.status_code == 200, response.content
    call = Call.objects.get()
    assert (call.phase, call.cause, call.direction) == ("ended", "answered", "inbound")
    assert call.number == "+358401234567" and call.contact == contact
    assert call.agent == minna and call.duration == 220
    assert call.recording_url.endswith("c-1.mp3")
    assert CallEvent.objects.count() == 3
    assert response.json()["state"]["phase"] == "ended"
    # ringing and answered popped Minna's screen; ended did not
    assert [(uid, data["phase"]) for uid, _ev, data in pushes] == [
        (minna.pk, "ringing"),
        (minna.pk, "answered"),
    ]
    assert not Ticket.objects.exists()  # an answered call makes no ticket by itself


def test_duplicate_and_out_of_order_delivery_give_the_same_state(post_event, minna):
    """Every order of the events, with a duplicate, ends in one state."""
    events = normal_call()
    post_event(events[0])
    post_event(events[1])
    post_event(events[2])
    expected = snapshot()
    for n, order in enumerate(itertools.permutations(events)):
        call_id = f"p-{n}"
        for payload in [*order, order[0]]:
            response = post_event({**payload, "call_id": call_id})
            assert response.status_code == 200
        assert response.json()["duplicate"] is True
        got = [row for row in snapshot() if row[0] == call_id][0]
        assert got[1:] == expected[0][1:]
    assert CallEvent.objects.filter(call__call_id="p-0").count() == 3


def test_abandoned_call_makes_a_callback_ticket(post_event, tuesday, make_ticket, team):
    """Missed: a callback ticket in the line's team, tagged, with the 2 h SLA, linked."""
    contact_ticket = make_ticket(subject="Lasku väärin", team=team)
    add_identity(contact_ticket.requester, "phone", "0401234567")  # stored the old way
    for payload in abandoned_call():
        assert post_event(payload).status_code == 200
    callback = Callback.objects.select_related("ticket").get()
    ticket = callback.ticket
    assert ticket.team == team and ticket.channel == "phone"
    assert list(ticket.tags.values_list("name", flat=True)) == ["takaisinsoitto"]
    assert ticket.requester == contact_ticket.requester
    assert callback.related_ticket == contact_ticket
    first = ticket.messages.get()
    assert first.kind == MessageKind.CALL and first.meta["cause"] == "abandoned"
    assert first.meta["related_ticket"] == contact_ticket.number
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.policy.name.startswith("Takaisinsoitto")
    ticket.refresh_from_db()
    assert ticket.queue_due_at == datetime(2026, 11, 24, 10, 11, tzinfo=UTC)  # 2 business hours


def test_unknown_caller_gets_a_contact_only_with_the_callback(post_event, tuesday):
    post_event({"call_id": "u1", "event": "ringing", "from": "+358505550000"})
    assert Call.objects.get().contact is None
    post_event({"call_id": "u1", "event": "ended", "cause": "no_answer"})
    call = Call.objects.get()
    assert call.contact is not None
    assert call.contact.phones == ["+358505550000"]


def test_repeated_missed_calls_add_to_one_callback(post_event, tuesday):
    for payload in abandoned_call("a-1", 10) + abandoned_call("a-2", 20):
        post_event(payload)
    callback = Callback.objects.get()
    assert callback.attempts == 2
    assert callback.ticket.messages.filter(kind=MessageKind.CALL).count() == 2


def test_callback_resolves_when_the_caller_gets_through(post_event, tuesday, minna):
    for payload in abandoned_call():
        post_event(payload)
    for payload in normal_call("c-3"):
        post_event(payload)
    callback = Callback.objects.select_related("ticket").get()
    assert callback.resolved_at is not None
    assert callback.ticket.status == Status.SOLVED
    note = callback.ticket.messages.filter(kind=MessageKind.INTERNAL).get()
    assert "got through" in note.text or "pääsi läpi" in note.text


def test_callback_resolves_when_called_back(post_event, tuesday, minna):
    for payload in abandoned_call():
        post_event(payload)
    post_event(
        {
            "call_id": "o-1",
            "event": "outbound",
            "from": "+358942410000",
            "to": CALLER,
            "agent": {"email": "minna@yritys.fi"},
        }
    )
    assert Callback.objects.get().resolved_at is None  # dialled, not reached yet
    post_event({"call_id": "o-1", "event": "answered"})
    callback = Callback.objects.get()
    assert callback.resolved_at is not None and callback.ticket.status == Status.SOLVED


def test_transferred_call(post_event, minna, make_user, team, pushes):
    jukka = make_user(teams=(team,), email="jukka@yritys.fi")
    from tiski.connectors.phone.models import AgentPhone

    AgentPhone.objects.create(user=jukka, extension="202")
    events = [
        *normal_call("t-1")[:2],
        {
            "call_id": "t-1",
            "event": "transferred",
            "timestamp": at(2),
            "agent": {"extension": "202"},
        },
        {"call_id": "t-1", "event": "ended", "timestamp": at(6), "cause": "answered"},
    ]
    for payload in events:
        post_event(payload)
    call = Call.objects.get()
    assert call.agent == jukka and call.phase == "ended"
    assert [uid for uid, *_ in pushes] == [minna.pk, minna.pk, jukka.pk]


def test_bad_tokens(client, post_event, line):
    assert (
        client.post("/phone/events/", data="{}", content_type="application/json").status_code == 401
    )
    response = post_event({"call_id": "x", "event": "ringing"}, token="wrong")
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]
    PhoneLine.objects.filter(pk=line.pk).update(active=False)
    assert post_event({"call_id": "x", "event": "ringing"}).status_code == 403
    assert not Call.objects.exists()


def test_invalid_and_unknown_payloads(post_event):
    response = post_event({"event": "ringing"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "call_id"
    assert post_event({"call_id": "x", "event": "ended", "cause": "exploded"}).status_code == 400
    assert (
        post_event(
            {"call_id": "x", "event": "ringing", "timestamp": "2026-11-24T08:00:00"}
        ).status_code
        == 400
    )
    assert (
        post_event(
            {"call_id": "x", "event": "ringing", "recording_url": "javascript:alert(1)"}
        ).status_code
        == 400
    )
    # A new event type from the provider: accepted, ignored, never retried.
    response = post_event({"call_id": "x", "event": "hold"})
    assert response.status_code == 200 and response.json()["ignored"] is True


def test_batch_of_events(post_event, minna):
    response = post_event(normal_call("b-1"))
    assert response.status_code == 200
    assert [r["event"] for r in response.json()["results"]] == ["ringing", "answered", "ended"]
    assert Call.objects.get().phase == "ended"


def test_log_call_on_existing_and_new_ticket(client, post_event, minna, make_ticket, team):
    from tests.conftest import PASSWORD

    ticket = make_ticket(subject="Tilaus", team=team)
    add_identity(ticket.requester, "phone", "+358401234567")
    for payload in normal_call()[:2]:
        post_event(payload)
    call = Call.objects.get()
    client.login(username="minna@yritys.fi", password=PASSWORD)
    pop = client.get(f"/phone/calls/{call.pk}/pop/")
    assert pop.status_code == 200 and f"#{ticket.number}" in pop.content.decode()
    response = client.post(
        f"/phone/calls/{call.pk}/log/", {"ticket": ticket.number, "note": "Soitti tilauksesta"}
    )
    assert response.status_code == 302
    message = ticket.messages.get(kind=MessageKind.CALL)
    assert message.text == "Soitti tilauksesta" and message.author_user == minna
    assert message.meta["number"] == "+358401234567" and message.meta["agent"] == minna.name
    post_event(normal_call()[2])  # the call ends after it was logged
    message.refresh_from_db()
    assert message.meta["duration"] == 220 and message.meta["recording_url"]
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "call-meta" in page and "tel:+358401234567" in page and "3 min 40 s" in page

    for payload in normal_call("c-new", agent="minna@yritys.fi")[:2]:
        post_event({**payload, "from": "050 999 8888"} if "from" in payload else payload)
    new_call = Call.objects.get(call_id="c-new")
    client.post(
        f"/phone/calls/{new_call.pk}/log/", {"ticket": "new", "subject": "Uusi asia", "note": ""}
    )
    created = Ticket.objects.get(subject="Uusi asia")
    assert created.team == team and created.assignee == minna and created.channel == "phone"
    assert created.requester.phones == ["+358509998888"]
    assert Message.objects.get(ticket=created).kind == MessageKind.CALL


def test_pop_and_log_are_not_for_other_teams(client, post_event, minna, make_user, make_team):
    from tests.conftest import PASSWORD

    outsider = make_user(teams=(make_team("Muut"),), email="ulko@yritys.fi")
    for payload in normal_call()[:2]:
        post_event(payload)
    call = Call.objects.get()
    client.login(username=outsider.email, password=PASSWORD)
    assert client.get(f"/phone/calls/{call.pk}/pop/").status_code == 404
    assert client.post(f"/phone/calls/{call.pk}/log/", {"ticket": "new"}).status_code == 404


def test_callback_solved_by_hand_and_reopened_is_a_callback_again(
    post_event, tuesday, minna, django_capture_on_commit_callbacks
):
    """Solving a callback ticket by hand resolves the callback; reopening it
    (by hand, or by undoing a merge) makes it a callback still to make."""
    from tiski.tickets import actions
    from tiski.tickets.models import Via

    for payload in abandoned_call():
        post_event(payload)
    callback = Callback.objects.select_related("ticket").get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(callback.ticket, actor=minna, via=Via.AGENT, status=Status.SOLVED)
    callback.refresh_from_db()
    assert callback.resolved_at is not None and callback.resolved_by_call is None
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(callback.ticket, actor=minna, via=Via.AGENT, status=Status.OPEN)
    callback.refresh_from_db()
    assert callback.resolved_at is None


def missed_call_events(call_id: str) -> list[dict]:
    """A missed call as a queue delivers it: rings Minna, then Jukka, caller hangs up.

    Only the first "ringing" carries the caller's number; "ended" has none.
    """
    return [
        {
            "call_id": call_id,
            "event": "ringing",
            "event_id": "r1",
            "timestamp": at(10),
            "from": CALLER,
            "to": "+358942410000",
            "agent": {"email": "minna@yritys.fi"},
        },
        {
            "call_id": call_id,
            "event": "ringing",
            "event_id": "r2",
            "timestamp": at(10, 30),
            "agent": {"email": "jukka@yritys.fi"},
        },
        {"call_id": call_id, "event": "ended", "timestamp": at(11), "cause": "abandoned"},
    ]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_missed_call_makes_a_callback_in_any_event_order(
    post_event, tuesday, minna, make_user, team, order
):
    """Issue #13, defect 2: "ended" before the "ringing" with the number still makes
    exactly one callback ticket, the same one whatever order the events came in."""
    make_user(teams=(team,), email="jukka@yritys.fi")
    events = missed_call_events("m-1")
    for index in order:
        assert post_event(events[index]).status_code == 200
    post_event(events[order[0]])  # and a retried delivery changes nothing
    callback = Callback.objects.select_related("ticket").get()
    assert callback.number == "+358401234567" and callback.attempts == 1
    ticket = callback.ticket
    assert ticket.channel == "phone" and ticket.team == team
    assert ticket.requester.phones == ["+358401234567"]
    assert ticket.messages.get().meta["cause"] == "abandoned"
    assert Call.objects.get().missed_handled


def test_missed_call_from_a_hidden_number_never_makes_a_callback(post_event, tuesday):
    """Ended first, then a ringing with a hidden number: still nobody to call back."""
    post_event({"call_id": "h-1", "event": "ended", "timestamp": at(11), "cause": "abandoned"})
    post_event({"call_id": "h-1", "event": "ringing", "timestamp": at(10), "from": "anonymous"})
    assert not Callback.objects.exists() and not Ticket.objects.exists()
    assert not Call.objects.get().missed_handled
