"""Typing both ways and the visitor's "seen" mark, over real sockets:
the visitor's chat socket and an agent's desk socket on the same ASGI app."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from tiski.asgi import application
from tiski.connectors.webchat.models import ChatSession
from tiski.tickets import actions
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from .conftest import SITE

pytestmark = pytest.mark.django_db(transaction=True)


async def _visitor(widget):
    socket = WebsocketCommunicator(
        application,
        f"/ws/chat/{widget.public_key}/",
        headers=[(b"host", b"127.0.0.1"), (b"origin", SITE.encode())],
    )
    connected, _ = await socket.connect(timeout=10)
    assert connected
    await socket.send_json_to({"type": "hello", "token": "", "lang": "fi"})
    await socket.receive_json_from(timeout=10)
    await socket.send_json_to(
        {"type": "identify", "name": "Liisa Laine", "email": "liisa@example.com"}
    )
    assert await socket.receive_json_from(timeout=10) == {"type": "identified"}
    await socket.send_json_to({"type": "message", "client_id": "m1", "text": "Hei"})
    assert (await socket.receive_json_from(timeout=10))["type"] == "ack"
    return socket


async def _desk(user, ticket_id: int):
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    socket = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
            (b"host", b"127.0.0.1"),
            (b"origin", b"http://127.0.0.1"),
        ],
    )
    connected, _ = await socket.connect(timeout=10)
    assert connected
    await socket.send_json_to({"action": "watch", "ticket_id": ticket_id})
    # A socket handles its frames in order: the answer to a roll call means
    # the watch before it is in place (or refused).
    await socket.send_json_to({"action": "online"})
    before = []
    while (frame := await socket.receive_json_from(timeout=5))["type"] != "online":
        before.append(frame)
    return socket, before


async def _next_of(socket, kind: str) -> dict:
    """The desk socket also carries presence and online roll calls: skip them."""
    for _ in range(20):
        data = await socket.receive_json_from(timeout=5)
        if data.get("type") == kind:
            return data
    raise AssertionError(f"no {kind}")


def _reply(ticket, agent, text):
    return actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text=text,
        channel=Channel.EMAIL,
        meta={"mailbox": "tuki@tiski.example", "cc": [], "bcc": []},
    )


def test_typing_goes_both_ways(widget, make_user):
    agent = make_user(name="Pekka Palvelija", teams=(widget.default_team,))

    async def scenario():
        visitor = await _visitor(widget)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        desk, _ = await _desk(agent, ticket.pk)
        await visitor.send_json_to({"type": "typing", "state": True})
        seen_by_agent = await _next_of(desk, "chat.typing")
        await desk.send_json_to({"action": "typing", "state": True})
        seen_by_visitor = await visitor.receive_json_from(timeout=5)
        await desk.send_json_to({"action": "typing", "state": False})
        stopped = await visitor.receive_json_from(timeout=5)
        await visitor.disconnect()
        await desk.disconnect()
        return ticket, seen_by_agent, seen_by_visitor, stopped

    ticket, seen_by_agent, seen_by_visitor, stopped = async_to_sync(scenario)()
    assert seen_by_agent == {"type": "chat.typing", "ticket_id": ticket.pk, "state": True}
    assert seen_by_visitor == {"type": "typing", "author": "Pekka", "state": True}
    assert stopped == {"type": "typing", "author": "Pekka", "state": False}


def test_an_agent_who_may_not_see_the_ticket_is_not_told(widget, make_user, make_team):
    outsider = make_user(teams=(make_team("Myynti", restricted=True),))
    widget.default_team.restricted = True
    widget.default_team.save()

    async def scenario():
        visitor = await _visitor(widget)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        desk, before = await _desk(outsider, ticket.pk)
        refused = before[0]
        await visitor.send_json_to({"type": "typing", "state": True})
        # Nor can the outsider make the visitor see them typing.
        await desk.send_json_to({"action": "typing", "state": True})
        quiet_desk = await desk.receive_nothing(timeout=0.5)
        quiet_visitor = await visitor.receive_nothing(timeout=0.5)
        await visitor.disconnect()
        await desk.disconnect()
        return refused, quiet_desk, quiet_visitor

    refused, quiet_desk, quiet_visitor = async_to_sync(scenario)()
    assert refused == {"type": "error", "error": "forbidden"}
    assert quiet_desk and quiet_visitor


def test_the_visitor_seeing_a_reply_marks_it_read_for_the_agent(widget, make_user, mailbox):
    agent = make_user(name="Pekka Palvelija", teams=(widget.default_team,))

    async def scenario():
        visitor = await _visitor(widget)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        desk, _ = await _desk(agent, ticket.pk)
        reply = await database_sync_to_async(_reply)(ticket, agent, "Autan mielelläni.")
        pushed = await visitor.receive_json_from(timeout=5)
        await visitor.send_json_to({"type": "read", "id": pushed["item"]["id"]})
        read = await _next_of(desk, "chat.read")
        # An older id, someone else's message or rubbish moves nothing.
        await visitor.send_json_to({"type": "read", "id": pushed["item"]["id"] - 1})
        await visitor.send_json_to({"type": "read", "id": "x"})
        bad = await visitor.receive_json_from(timeout=5)
        await visitor.disconnect()
        await desk.disconnect()
        return ticket, reply, read, bad

    ticket, reply, read, bad = async_to_sync(scenario)()
    assert read == {"type": "chat.read", "ticket_id": ticket.pk, "message_id": reply.pk}
    assert bad == {"type": "error", "code": "bad_request"}
    session = ChatSession.objects.get()
    assert session.read_up_to == reply.pk and session.read_at is not None


def test_read_counts_only_a_public_reply_on_the_chats_own_ticket(widget, make_user, make_contact):
    from tiski.connectors.webchat import services

    agent = make_user()
    async_to_sync(_visitor_and_close)(widget)
    session = ChatSession.objects.get()
    own = session.ticket
    other = actions.create_ticket(
        requester=make_contact(), subject="Muu", actor=None, via=Via.CHANNEL, text="x"
    )
    note = actions.add_message(
        own, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="sisäinen"
    )
    assert not services.mark_read(session, other.messages.get().pk)
    assert not services.mark_read(session, note.pk)
    assert not services.mark_read(session, own.messages.first().pk)  # the visitor's own
    session.refresh_from_db()
    assert session.read_up_to is None


async def _visitor_and_close(widget):
    socket = await _visitor(widget)
    await socket.disconnect()


def test_the_ticket_page_shows_the_seen_mark(widget, make_user, mailbox, client):
    agent = make_user(teams=(widget.default_team,))
    async_to_sync(_visitor_and_close)(widget)
    ticket = Ticket.objects.get()
    reply = _reply(ticket, agent, "Vastaus")
    ChatSession.objects.update(read_up_to=reply.pk)
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'id="chat-live"' in page
    assert f'data-read-up-to="{reply.pk}"' in page


def test_a_new_chat_rings_on_the_desk_of_the_agent_it_went_to(widget, make_user):
    agent = make_user(name="Pekka Palvelija", teams=(widget.default_team,), chat_available=True)

    async def scenario():
        client = Client()
        await database_sync_to_async(client.force_login)(agent)
        desk = WebsocketCommunicator(
            application,
            "/ws/desk/",
            headers=[
                (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
                (b"host", b"127.0.0.1"),
                (b"origin", b"http://127.0.0.1"),
            ],
        )
        assert (await desk.connect())[0]
        visitor = await _visitor(widget)
        rang = await _next_of(desk, "chat.new")
        await visitor.disconnect()
        await desk.disconnect()
        return rang

    rang = async_to_sync(scenario)()
    ticket = Ticket.objects.get()
    assert ticket.assignee == agent
    assert rang["ticket_id"] == ticket.pk and rang["subject"] == "Hei"
    assert rang["url"] == f"/tickets/{ticket.number}/"


def test_typing_and_read_signals_cost_the_desk_socket_no_query(widget, make_user, monkeypatch):
    """The watch reads the ticket's facts and chats once; every signal after
    it is decided and addressed from these, however many tabs hear it."""
    from tiski.connectors.webchat import services
    from tiski.desk.consumers import DeskConsumer

    agent = make_user(name="Pekka Palvelija", teams=(widget.default_team,))
    lookups: list[int] = []
    open_sessions = services.open_session_ids

    def counted(ticket_id: int) -> list[int]:
        lookups.append(ticket_id)
        return open_sessions(ticket_id)

    async def no_query(self, ticket_id):
        raise AssertionError("a chat signal must be decided without a query")

    monkeypatch.setattr(services, "open_session_ids", counted)
    monkeypatch.setattr(DeskConsumer, "_can_see", no_query)

    async def scenario():
        visitor = await _visitor(widget)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        desk, _ = await _desk(agent, ticket.pk)
        heard = []
        for state in (True, False, True):
            await visitor.send_json_to({"type": "typing", "state": state})
            heard.append((await _next_of(desk, "chat.typing"))["state"])
            await desk.send_json_to({"action": "typing", "state": state})
            heard.append((await visitor.receive_json_from(timeout=5))["state"])
        await visitor.disconnect()
        await desk.disconnect()
        return ticket, heard

    ticket, heard = async_to_sync(scenario)()
    assert heard == [True, True, False, False, True, True]
    assert lookups == [ticket.pk]  # at the watch only


def test_a_tab_stops_hearing_the_chat_when_its_ticket_moves_out_of_sight(
    widget, make_user, make_team
):
    """The facts the watch read follow the ticket's changes: moved to a
    restricted team the agent is not in, its typing no longer reaches them."""
    agent = make_user(teams=(widget.default_team,))
    secret = make_team("Henkilöstö", restricted=True)

    def move(ticket: Ticket) -> None:
        actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, team=secret)

    async def scenario():
        visitor = await _visitor(widget)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        desk, _ = await _desk(agent, ticket.pk)
        await visitor.send_json_to({"type": "typing", "state": True})
        before = await _next_of(desk, "chat.typing")
        # The move's push reaches the tab's channel before the typing below.
        await database_sync_to_async(move)(ticket)
        await visitor.send_json_to({"type": "typing", "state": False})
        await desk.send_json_to({"action": "typing", "state": True})
        quiet_desk = await desk.receive_nothing(timeout=0.5)
        quiet_visitor = await visitor.receive_nothing(timeout=0.5)
        await visitor.disconnect()
        await desk.disconnect()
        return before, quiet_desk, quiet_visitor

    before, quiet_desk, quiet_visitor = async_to_sync(scenario)()
    assert before["state"] is True
    assert quiet_desk and quiet_visitor
