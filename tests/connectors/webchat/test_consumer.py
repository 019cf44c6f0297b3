"""The visitor's websocket through the real ASGI application."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.utils import timezone

from tiski.asgi import application
from tiski.connectors.models import OutboundEmail
from tiski.connectors.routes import reply_route
from tiski.connectors.webchat.models import ChatMessage, ChatSession, LiveDelivery
from tiski.tickets import actions
from tiski.tickets.models import Channel, Message, MessageKind, Ticket, Via

from .conftest import SITE

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(widget, origin: str = SITE, key: str | None = None):
    socket = WebsocketCommunicator(
        application,
        f"/ws/chat/{key or widget.public_key}/",
        headers=[(b"host", b"127.0.0.1"), (b"origin", origin.encode())],
    )
    connected, _code = await socket.connect(timeout=10)
    return socket, connected


async def _hello(socket, token: str = "", lang: str = "fi") -> dict:
    await socket.send_json_to({"type": "hello", "token": token, "lang": lang})
    return await socket.receive_json_from(timeout=10)


async def _visitor(widget, email: str = "liisa@example.com"):
    socket, connected = await _open(widget)
    assert connected
    welcome = await _hello(socket)
    await socket.send_json_to({"type": "identify", "name": "Liisa Laine", "email": email})
    assert await socket.receive_json_from(timeout=10) == {"type": "identified"}
    return socket, welcome


def test_a_site_not_allowed_is_refused(widget):
    async def scenario():
        socket, connected = await _open(widget, origin="https://evil.example")
        assert not connected
        socket, connected = await _open(widget, origin="")
        assert not connected

    async_to_sync(scenario)()


def test_an_unknown_or_inactive_key_is_refused(widget):
    async def scenario():
        _socket, connected = await _open(widget, key="not-a-widget")
        assert not connected
        await database_sync_to_async(type(widget).objects.filter(pk=widget.pk).update)(active=False)
        _socket, connected = await _open(widget)
        assert not connected

    async_to_sync(scenario)()


def test_the_first_message_opens_a_chat_ticket_for_the_contact_and_later_ones_join_it(widget):
    async def scenario():
        socket, welcome = await _visitor(widget)
        assert welcome["greeting"] == "Hei! Miten voimme auttaa?"
        assert welcome["token"] and welcome["history"] == []
        await socket.send_json_to({"type": "message", "client_id": "a1", "text": "Tilaus 123?"})
        first = await socket.receive_json_from(timeout=10)
        await socket.send_json_to({"type": "message", "client_id": "a2", "text": "Kiitos."})
        second = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return first, second

    first, second = async_to_sync(scenario)()
    assert first["type"] == "ack" and first["client_id"] == "a1"
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT
    assert ticket.team == widget.default_team
    assert ticket.subject == "Tilaus 123?"
    assert ticket.requester.identities.get().value == "liisa@example.com"
    texts = list(ticket.messages.order_by("id").values_list("kind", "text", "channel"))
    assert texts == [
        (MessageKind.CUSTOMER, "Tilaus 123?", Channel.CHAT),
        (MessageKind.CUSTOMER, "Kiitos.", Channel.CHAT),
    ]
    assert second["id"] == ticket.messages.order_by("id").last().pk


def test_a_message_before_the_prechat_form_is_not_taken(widget):
    async def scenario():
        socket, _ = await _open(widget)
        await _hello(socket)
        await socket.send_json_to({"type": "message", "client_id": "x", "text": "Hei"})
        answer = await socket.receive_json_from(timeout=10)
        await socket.send_json_to({"type": "identify", "name": "X", "email": "not an email"})
        bad = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return answer, bad

    answer, bad = async_to_sync(scenario)()
    assert answer == {"type": "error", "code": "not_sent", "client_id": "x"}
    assert bad == {"type": "error", "code": "bad_email"}
    assert not Ticket.objects.exists()


def test_a_resent_client_id_is_acknowledged_once_and_written_once(widget):
    async def scenario():
        socket, welcome = await _visitor(widget)
        acks = []
        for _ in range(2):
            await socket.send_json_to({"type": "message", "client_id": "same", "text": "Hei"})
            acks.append(await socket.receive_json_from(timeout=10))
        await socket.disconnect()
        # A reconnect resends it again (the ack was lost on the way).
        again, _ = await _open(widget)
        await _hello(again, welcome["token"])
        await again.send_json_to({"type": "message", "client_id": "same", "text": "Hei"})
        acks.append(await again.receive_json_from(timeout=10))
        await again.disconnect()
        return acks

    acks = async_to_sync(scenario)()
    assert Message.objects.filter(kind=MessageKind.CUSTOMER).count() == 1
    assert ChatMessage.objects.count() == 1
    assert len({ack["id"] for ack in acks}) == 1


def test_the_conversation_comes_back_with_the_visitor_token(widget, make_user):
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        socket, welcome = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "h1", "text": "Hei"})
        await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        ticket = await database_sync_to_async(Ticket.objects.get)()
        await database_sync_to_async(_reply)(ticket, agent, "Hei Liisa!")
        again, _ = await _open(widget)
        back = await _hello(again, welcome["token"])
        stranger, _ = await _open(widget)
        fresh = await _hello(stranger, "someone-elses-guess")
        await again.disconnect()
        await stranger.disconnect()
        return welcome, back, fresh

    welcome, back, fresh = async_to_sync(scenario)()
    assert back["token"] == welcome["token"] and back["identified"]
    assert [(i["from"], i["text"], i["client_id"]) for i in back["history"]] == [
        ("visitor", "Hei", "h1"),
        ("agent", "Hei Liisa!", ""),
    ]
    assert back["history"][1]["author"] == "Pekka"
    assert fresh["token"] != welcome["token"] and fresh["history"] == []


def _reply(ticket, agent, text):
    # As the desk writes a public reply: on the channel and with the meta of
    # the ticket's route (the chat while the visitor is there, else email).
    route = reply_route(ticket)
    return actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text=text,
        channel=route.channel,
        meta=route.meta,
    )


def test_an_agent_reply_reaches_the_open_chat_and_is_not_emailed(widget, make_user, mailbox):
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        socket, _ = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "r1", "text": "Apua"})
        await socket.receive_json_from(timeout=10)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        reply = await database_sync_to_async(_reply)(ticket, agent, "Autan mielelläni.")
        pushed = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return reply, pushed

    reply, pushed = async_to_sync(scenario)()
    assert pushed["type"] == "reply"
    assert pushed["item"]["text"] == "Autan mielelläni."
    assert pushed["item"]["author"] == "Pekka"
    assert LiveDelivery.objects.filter(message=reply).exists()
    assert not OutboundEmail.objects.filter(message=reply).exists()


def test_a_chat_reply_whose_visitor_left_before_it_arrived_goes_by_email(
    widget, make_user, mailbox
):
    """The route said "in the chat" when the agent began; the visitor closed the
    tab before the reply was pushed: it is mailed, not lost."""
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        socket, _ = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "x1", "text": "Hei"})
        await socket.receive_json_from(timeout=10)
        await socket.disconnect()

    async_to_sync(scenario)()
    ticket = Ticket.objects.get()
    reply = actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text="Vastaus tuli myöhässä.",
        channel=Channel.CHAT,
    )
    assert not LiveDelivery.objects.filter(message=reply).exists()
    assert OutboundEmail.objects.get(message=reply).to == ["liisa@example.com"]


def test_a_reply_after_the_visitor_has_gone_goes_by_email(widget, make_user, mailbox, settings):
    settings.TISKI_WEBCHAT_AWAY_MINUTES = 2
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        socket, _ = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "g1", "text": "Soitatteko?"})
        await socket.receive_json_from(timeout=10)
        await socket.disconnect()

    async_to_sync(scenario)()
    ChatSession.objects.update(last_seen=timezone.now() - timedelta(minutes=3))
    reply = _reply(Ticket.objects.get(), agent, "Soitamme huomenna.")
    assert not LiveDelivery.objects.exists()
    mail = OutboundEmail.objects.get(message=reply)
    assert mail.to == ["liisa@example.com"]


def test_a_visitor_who_closed_the_chat_a_moment_ago_gets_the_reply_by_email(
    widget, make_user, mailbox
):
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        socket, _ = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "m1", "text": "Hei"})
        await socket.receive_json_from(timeout=10)
        await socket.disconnect()

    async_to_sync(scenario)()
    session = ChatSession.objects.get()
    assert session.open_sockets == 0
    reply = _reply(Ticket.objects.get(), agent, "Vastaus sähköpostiin.")
    assert OutboundEmail.objects.filter(message=reply).exists()


def test_broken_frames_get_an_error_and_the_chat_goes_on(widget):
    async def scenario():
        socket, _ = await _open(widget)
        await socket.send_to(text_data="{not json")
        broken = await socket.receive_json_from(timeout=10)
        await socket.send_json_to(["a", "list"])
        listed = await socket.receive_json_from(timeout=10)
        await socket.send_json_to({"type": "message", "client_id": "x", "text": "Hei"})
        early = await socket.receive_json_from(timeout=10)
        welcome = await _hello(socket)
        await socket.disconnect()
        return broken, listed, early, welcome

    broken, listed, early, welcome = async_to_sync(scenario)()
    assert broken == listed == {"type": "error", "code": "bad_request"}
    assert early == {"type": "error", "code": "hello_first"}
    assert welcome["type"] == "welcome"


_ACKED = threading.Event()
_HANDLER_SAW_ACK: list[bool] = []


def _waits_for_the_ack(change) -> None:
    """A ticket-change handler that holds a new ticket's change until the
    visitor has the ack (or 10 s): it sees True only if the ack came first."""
    if change.created:
        _HANDLER_SAW_ACK.append(_ACKED.wait(10))


def test_a_message_is_acknowledged_once_committed_before_the_change_handlers(widget, settings):
    """The ack says the message is stored; the after-commit work (SLA, rules,
    search, reports, the desk's push) runs after it, not before it."""
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        *settings.TISKI_TICKET_CHANGE_HANDLERS,
        f"{__name__}._waits_for_the_ack",
    ]
    _ACKED.clear()
    _HANDLER_SAW_ACK.clear()

    async def scenario():
        socket, _ = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "e1", "text": "Hei"})
        ack = await socket.receive_json_from(timeout=30)
        _ACKED.set()
        for _ in range(500):
            if _HANDLER_SAW_ACK:
                break
            await asyncio.sleep(0.02)
        await socket.disconnect()
        return ack

    ack = async_to_sync(scenario)()
    assert ack["type"] == "ack" and ack["id"] == Message.objects.get().pk
    assert _HANDLER_SAW_ACK == [True]


def test_a_ping_soon_after_a_heartbeat_is_answered_without_a_write(widget, monkeypatch):
    """The socket writes the visitor's heartbeat at most every
    ``protocol.touch_every()`` seconds; a visitor heard a minute ago is
    still present (two minutes by default), and the next ping after the
    interval writes again."""
    from time import monotonic

    from tiski.connectors.webchat import protocol

    a_minute_ago = timezone.now() - timedelta(minutes=1)

    async def scenario():
        socket, _ = await _visitor(widget)  # hello: the socket's heartbeat
        session = await database_sync_to_async(ChatSession.objects.get)()
        await database_sync_to_async(ChatSession.objects.filter(pk=session.pk).update)(
            last_seen=a_minute_ago
        )
        await socket.send_json_to({"type": "ping"})
        first = await socket.receive_json_from(timeout=10)
        kept = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
        later = monotonic() + protocol.touch_every() + 1
        monkeypatch.setattr(protocol, "monotonic", lambda: later)
        await socket.send_json_to({"type": "ping"})
        second = await socket.receive_json_from(timeout=10)
        written = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
        await socket.disconnect()
        return first, kept, second, written

    first, kept, second, written = async_to_sync(scenario)()
    assert first == second == {"type": "pong"}
    assert kept.last_seen == a_minute_ago
    assert written.last_seen > a_minute_ago
