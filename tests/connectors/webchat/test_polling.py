"""The long-polling fallback through the real ASGI application: POST to send,
a long GET to wait for news; the same protocol and events as the socket."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing.http import HttpCommunicator
from channels.testing.websocket import WebsocketCommunicator

from tiski.asgi import application
from tiski.connectors.models import OutboundEmail
from tiski.connectors.routes import reply_route
from tiski.connectors.webchat import services
from tiski.connectors.webchat.models import ChatMessage, ChatSession, LiveDelivery
from tiski.tickets import actions
from tiski.tickets.models import Channel, Message, MessageKind, Ticket, Via

from .conftest import SITE

pytestmark = pytest.mark.django_db(transaction=True)


def _headers(origin: str = SITE, token: str = "") -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"127.0.0.1"), (b"origin", origin.encode())]
    if token:
        headers.append((b"x-chat-token", token.encode()))
    return headers


async def _post(widget, frame, origin: str = SITE) -> tuple[int, dict]:
    body = frame if isinstance(frame, bytes) else json.dumps(frame).encode()
    request = HttpCommunicator(
        application,
        "POST",
        f"/chat/{widget.public_key}/send",
        body=body,
        headers=[*_headers(origin), (b"content-type", b"application/json")],
    )
    response = await request.get_response(timeout=10)
    return response["status"], json.loads(response["body"] or b"{}")


def _poll(widget, token: str, after: int = 0, origin: str = SITE) -> HttpCommunicator:
    return HttpCommunicator(
        application,
        "GET",
        f"/chat/{widget.public_key}/poll?after={after}",
        headers=_headers(origin, token),
    )


async def _events(request: HttpCommunicator, timeout: float = 10) -> list[dict]:
    response = await request.get_response(timeout=timeout)
    assert response["status"] == 200, response
    return json.loads(response["body"])["events"]


async def _visitor(widget, email: str = "liisa@example.com") -> str:
    """Hello and the pre-chat form over HTTP; the visitor token."""
    status, answer = await _post(widget, {"type": "hello", "token": "", "lang": "fi"})
    assert status == 200
    (welcome,) = answer["events"]
    assert welcome["type"] == "welcome" and welcome["greeting"] == "Hei! Miten voimme auttaa?"
    token = welcome["token"]
    _, answer = await _post(
        widget, {"type": "identify", "token": token, "name": "Liisa Laine", "email": email}
    )
    assert answer["events"] == [{"type": "identified"}]
    return token


async def _until_waiting(session_id: int) -> None:
    """Until the poll has joined the session's group (it marks the session first)."""
    for _ in range(500):
        session = await database_sync_to_async(ChatSession.objects.get)(pk=session_id)
        if session.polling_until is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the poll never started waiting")


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


def test_a_whole_chat_over_http_with_acks_resends_and_a_live_reply(widget, make_user, mailbox):
    """Messages are acknowledged like on the socket (a resend is the same ack, one
    message); a waiting poll gets the agent's reply at once, and the visitor polling
    counts as present: the reply is not emailed."""
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        token = await _visitor(widget)
        frame = {"type": "message", "token": token, "client_id": "a1", "text": "Tilaus 123?"}
        _, first = await _post(widget, frame)
        _, again = await _post(widget, frame)  # the ack was lost: the widget resends
        session = await database_sync_to_async(ChatSession.objects.get)()
        waiting = _poll(widget, token)
        task = asyncio.ensure_future(_events(waiting))
        await _until_waiting(session.pk)
        ticket = await database_sync_to_async(Ticket.objects.get)()
        reply = await database_sync_to_async(_reply)(ticket, agent, "Autan mielelläni.")
        return first, again, await task, reply

    first, again, polled, reply = async_to_sync(scenario)()
    (ack,) = first["events"]
    assert ack["type"] == "ack" and ack["client_id"] == "a1"
    assert again["events"] == [ack]
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.CHAT and ticket.subject == "Tilaus 123?"
    assert ack["id"] == ticket.messages.get(kind=MessageKind.CUSTOMER).pk
    assert ChatMessage.objects.count() == 1
    assert [e["type"] for e in polled] == ["reply"]
    assert polled[0]["item"]["text"] == "Autan mielelläni."
    assert polled[0]["item"]["author"] == "Pekka"
    assert LiveDelivery.objects.filter(message=reply).exists()
    assert not OutboundEmail.objects.filter(message=reply).exists()


def test_a_reply_written_between_polls_comes_with_the_next_poll_once(widget, make_user, settings):
    """Nobody listens between two polls: the next poll finds the reply in the
    database by its cursor; a poll already past it waits and answers empty."""
    settings.TISKI_WEBCHAT_POLL_SECONDS = 0.5
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        token = await _visitor(widget)
        await _post(widget, {"type": "message", "token": token, "client_id": "b1", "text": "Hei"})
        ticket = await database_sync_to_async(Ticket.objects.get)()
        first = await database_sync_to_async(_reply)(ticket, agent, "Yksi")
        second = await database_sync_to_async(_reply)(ticket, agent, "Kaksi")
        both = await _events(_poll(widget, token, after=0))
        newer = await _events(_poll(widget, token, after=first.pk))
        nothing = await _events(_poll(widget, token, after=second.pk))
        return both, newer, nothing

    both, newer, nothing = async_to_sync(scenario)()
    assert [(e["type"], e["item"]["text"]) for e in both] == [("reply", "Yksi"), ("reply", "Kaksi")]
    assert [e["item"]["text"] for e in newer] == ["Kaksi"]
    assert nothing == []


def test_the_socket_and_the_poll_get_the_same_events_in_order(widget, make_user):
    """One visitor with a socket in one tab and the fallback in another: the
    agent typing, the reply and typing stopped reach both, alike and in order."""
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        token = await _visitor(widget)
        await _post(widget, {"type": "message", "token": token, "client_id": "c1", "text": "Hei"})
        session = await database_sync_to_async(ChatSession.objects.get)()
        ticket = await database_sync_to_async(Ticket.objects.get)()
        socket = WebsocketCommunicator(
            application, f"/ws/chat/{widget.public_key}/", headers=_headers()
        )
        assert (await socket.connect(timeout=10))[0]
        await socket.send_json_to({"type": "hello", "token": token, "lang": "fi"})
        assert (await socket.receive_json_from(timeout=10))["type"] == "welcome"

        layer = get_channel_layer()
        group = services.session_group(session.pk)
        polled: list[dict] = []
        after = 0
        typing = {"type": "chat.agent_typing", "author": "Pekka", "state": True}
        stopped = {**typing, "state": False}
        for step in ("typing", "reply", "stopped"):
            await database_sync_to_async(ChatSession.objects.filter(pk=session.pk).update)(
                polling_until=None
            )
            task = asyncio.ensure_future(_events(_poll(widget, token, after=after)))
            await _until_waiting(session.pk)
            if step == "reply":
                await database_sync_to_async(_reply)(ticket, agent, "Katsotaan.")
            else:
                await layer.group_send(group, typing if step == "typing" else stopped)
            events = await task
            polled += events
            after = max([e["item"]["id"] for e in events if e["type"] == "reply"] + [after])
        pushed = [await socket.receive_json_from(timeout=10) for _ in range(3)]
        await socket.disconnect()
        return pushed, polled

    pushed, polled = async_to_sync(scenario)()
    assert [e["type"] for e in pushed] == ["typing", "reply", "typing"]
    assert polled == pushed


def test_a_poll_the_browser_drops_means_the_visitor_left(widget, make_user, mailbox):
    """The tab closes while a poll waits: the visitor is gone, the reply goes by email."""
    agent = make_user(name="Pekka Palvelija")

    async def scenario():
        token = await _visitor(widget)
        await _post(widget, {"type": "message", "token": token, "client_id": "d1", "text": "Hei"})
        session = await database_sync_to_async(ChatSession.objects.get)()
        waiting = _poll(widget, token)
        await waiting.send_input({"type": "http.request", "body": b""})
        await _until_waiting(session.pk)
        await waiting.send_input({"type": "http.disconnect"})
        await waiting.wait(timeout=10)
        return await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)

    session = async_to_sync(scenario)()
    assert session.polling_until is None and not services.is_present(session)
    reply = _reply(Ticket.objects.get(), agent, "Vastaus sähköpostiin.")
    assert not LiveDelivery.objects.exists()
    assert OutboundEmail.objects.get(message=reply).to == ["liisa@example.com"]


def test_bad_requests_get_clear_errors_and_write_nothing(widget):
    async def scenario():
        answers = {}
        answers["not json"] = await _post(widget, b"{not json")
        answers["a list"] = await _post(widget, b'["a"]')
        answers["no session"] = await _post(
            widget, {"type": "message", "token": "guess", "client_id": "x", "text": "Hei"}
        )
        token = await _visitor(widget)
        answers["bad email"] = await _post(
            widget, {"type": "identify", "token": token, "name": "X", "email": "not an email"}
        )
        answers["empty"] = await _post(
            widget, {"type": "message", "token": token, "client_id": "x", "text": "  "}
        )
        bad_after = await _poll(widget, token, after=-1).get_response(timeout=10)
        bad_after_text = await HttpCommunicator(
            application,
            "GET",
            f"/chat/{widget.public_key}/poll?after=abc",
            headers=_headers(token=token),
        ).get_response(timeout=10)
        unknown = await _poll(widget, "someone-elses-guess").get_response(timeout=10)
        return answers, bad_after, bad_after_text, unknown

    answers, bad_after, bad_after_text, unknown = async_to_sync(scenario)()
    bad = {"type": "error", "code": "bad_request"}
    assert answers["not json"] == (400, {"events": [bad]})
    assert answers["a list"] == (400, {"events": [bad]})
    assert answers["no session"] == (200, {"events": [{"type": "error", "code": "hello_first"}]})
    assert answers["bad email"][1]["events"] == [{"type": "error", "code": "bad_email"}]
    assert answers["empty"][1]["events"] == [
        {"type": "error", "code": "not_sent", "client_id": "x"}
    ]
    assert bad_after["status"] == bad_after_text["status"] == 400
    assert unknown["status"] == 404
    assert not Message.objects.exists() and not Ticket.objects.exists()


def test_other_sites_and_unknown_widgets_are_refused_and_preflight_allows_the_token(widget):
    async def scenario():
        evil_send = await _post(widget, {"type": "hello"}, origin="https://evil.example")
        evil_poll = await _poll(widget, "x", origin="https://evil.example").get_response(10)
        unknown = await HttpCommunicator(
            application, "GET", "/chat/no-such-widget/poll", headers=_headers()
        ).get_response(timeout=10)
        preflight = await HttpCommunicator(
            application, "OPTIONS", f"/chat/{widget.public_key}/poll", headers=_headers()
        ).get_response(timeout=10)
        return evil_send, evil_poll, unknown, preflight

    evil_send, evil_poll, unknown, preflight = async_to_sync(scenario)()
    assert evil_send[0] == 403 and evil_poll["status"] == 403
    assert b"access-control-allow-origin" not in {n.lower() for n, _v in evil_poll["headers"]}
    assert unknown["status"] == 404
    headers = {name.lower(): value for name, value in preflight["headers"]}
    assert preflight["status"] == 204
    assert headers[b"access-control-allow-origin"] == SITE.encode()
    assert b"X-Chat-Token" in headers[b"access-control-allow-headers"]
    assert not ChatSession.objects.exists()
