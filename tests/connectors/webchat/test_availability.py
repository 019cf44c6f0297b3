"""Agents' availability toggle, their chat limit, chat hours and routing of new chats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator

from tiski.accounts.models import Role
from tiski.asgi import application
from tiski.connectors.webchat import availability, services
from tiski.sla.models import Calendar
from tiski.tickets.models import Event, EventKind, Status, Via

from .conftest import SITE


def _chat(widget, email: str, text: str = "Hei"):
    """A visitor in the chat now (a socket open) who sends a first message."""
    session = services.start_session(widget, "fi")
    services.opened(session.pk)
    services.identify(session, name="", email=email)
    services.receive(session, client_id="c1", text=text)
    session.refresh_from_db()
    return session


@pytest.mark.django_db
def test_nobody_available_until_an_agent_turns_the_toggle_on(widget, make_user):
    agent = make_user(teams=(widget.default_team,))
    assert not availability.available(widget)
    agent.chat_available = True
    agent.save()
    assert availability.available(widget)
    # An agent of another team does not answer this widget's chats.
    agent.teams.clear()
    assert not availability.available(widget)


@pytest.mark.django_db
def test_a_light_agent_or_a_zero_limit_takes_no_chats(widget, make_user):
    make_user(role=Role.LIGHT_AGENT, teams=(widget.default_team,), chat_available=True)
    make_user(teams=(widget.default_team,), chat_available=True, chat_limit=0)
    assert not availability.available(widget)


@pytest.mark.django_db
def test_new_chats_go_to_the_least_loaded_agent_within_their_limits(widget, make_user):
    team = (widget.default_team,)
    anna = make_user(name="Anna", teams=team, chat_available=True, chat_limit=1)
    ben = make_user(name="Ben", teams=team, chat_available=True, chat_limit=2)
    first = _chat(widget, "a@example.com")
    second = _chat(widget, "b@example.com")
    third = _chat(widget, "c@example.com")
    # Ties go by id (Anna); then Anna is full at 1, so Ben takes two.
    assert first.ticket.assignee == anna
    assert second.ticket.assignee == ben
    assert third.ticket.assignee == ben
    assert not availability.available(widget)
    fourth = _chat(widget, "d@example.com")
    assert fourth.ticket.assignee is None  # waits in the team's queue
    # The assignment is an ordinary event, by the system.
    assigned = Event.objects.get(ticket=first.ticket, kind=EventKind.FIELD, field="assignee")
    assert assigned.via == Via.SYSTEM and assigned.actor is None


@pytest.mark.django_db
def test_a_visitor_who_left_or_a_solved_chat_frees_the_slot(widget, make_user):
    make_user(teams=(widget.default_team,), chat_available=True, chat_limit=1)
    session = _chat(widget, "a@example.com")
    assert not availability.available(widget)
    services.closed(session.pk)
    assert availability.available(widget)
    services.opened(session.pk)
    assert not availability.available(widget)
    session.ticket.status = Status.SOLVED
    session.ticket.save()
    assert availability.available(widget)


@pytest.mark.django_db
def test_outside_the_chat_hours_nobody_is_available(widget, make_user):
    make_user(teams=(widget.default_team,), chat_available=True)
    widget.calendar = Calendar.objects.create(
        name="Chat",
        time_zone="Europe/Helsinki",
        weekly_hours={str(d): "08:00-16:00" for d in range(5)},
    )
    widget.save()
    monday_noon = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # 12:00 in Helsinki
    sunday = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    assert availability.available(widget, monday_noon)
    assert not availability.available(widget, sunday)


@pytest.mark.django_db(transaction=True)
def test_the_welcome_says_whether_anybody_is_there(widget, make_user):
    widget.offline_message = "Olemme poissa. Vastaamme sähköpostitse."
    widget.save()

    async def welcome() -> dict:
        socket = WebsocketCommunicator(
            application,
            f"/ws/chat/{widget.public_key}/",
            headers=[(b"host", b"127.0.0.1"), (b"origin", SITE.encode())],
        )
        assert (await socket.connect(timeout=10))[0]
        await socket.send_json_to({"type": "hello", "token": "", "lang": "fi"})
        data = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return data

    away = async_to_sync(welcome)()
    make_user(teams=(widget.default_team,), chat_available=True)
    there = async_to_sync(welcome)()
    assert away["available"] is False
    assert away["offline_message"] == "Olemme poissa. Vastaamme sähköpostitse."
    assert there["available"] is True


@pytest.mark.django_db
def test_the_config_endpoint_says_it_too(widget, make_user, client):
    url = f"/chat/{widget.public_key}/config"
    assert client.get(url, HTTP_ORIGIN=SITE).json()["available"] is False
    make_user(teams=(widget.default_team,), chat_available=True)
    assert client.get(url, HTTP_ORIGIN=SITE).json()["available"] is True


@pytest.mark.django_db
def test_the_account_menu_toggle(make_user, client):
    agent = make_user()
    client.force_login(agent)
    page = client.get("/").content.decode()
    assert 'id="chat-availability"' in page
    response = client.post("/preferences/chat/", {"available": "1", "next": "/"})
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.chat_available
    client.post("/preferences/chat/", {"available": "0", "next": "https://evil.example/"})
    agent.refresh_from_db()
    assert not agent.chat_available


@pytest.mark.django_db
def test_a_light_agent_cannot_make_themselves_available(make_user, client):
    light = make_user(role=Role.LIGHT_AGENT)
    client.force_login(light)
    client.post("/preferences/chat/", {"available": "1"})
    light.refresh_from_db()
    assert not light.chat_available
