"""What a visitor's frame does, whichever transport carried it.

The websocket consumer and the long-polling fallback (``polling.py``) hand
every frame from the widget to ``Conversation.handle`` and send back the
frames it returns, in order, so both speak one protocol with one set of
checks: the same client ids, acks, resends and errors. Frames from Tiski to
the visitor that are not answers (an agent's reply, the agent typing) come
from the session's channel-layer group and are turned into visitor frames by
``to_visitor``, on both transports.

Frames from the browser (JSON): ``hello`` {token, lang}, ``identify``
{name, email}, ``message`` {client_id, text}, ``typing`` {state}, ``read``
{id}, ``transcript``, ``ping``. To the browser: ``welcome`` {token,
identified, history, ...}, ``identified``, ``ack`` {client_id, id},
``reply`` {item}, ``typing`` {author, state}, ``transcript`` {sent},
``pong``, ``error`` {code}.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from tiski.core.realtime import ticket_group
from tiski.tickets import changes

from . import availability, services
from .models import ChatSession, ChatWidget


def db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``fn`` run off the event loop, on a thread of its own where that helps.

    On PostgreSQL every chat's database work runs on a thread of the loop's
    pool, each with its own connection. Channels' default (thread_sensitive)
    queues every call of every chat in the process on one shared thread:
    twenty first messages, each opening a ticket, waited for one another
    (bench/README.md). SQLite takes one writer at a time anyway, and its
    connections in other threads would only meet its table locks, so there
    the calls stay on the one thread, as Django's own sync views do."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        return database_sync_to_async(fn, thread_sensitive=True)
    return database_sync_to_async(_giving_back(fn), thread_sensitive=False)


def _giving_back(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, and then the thread's connection back to the pool.

    A pool thread outlives the call but not its event loop: when the loop
    ends (a test's, or a server's at shutdown) its threads go with whatever
    connection they hold, and the pool counts that connection as lent for
    good. Channels' own clean-up after a call did not give every one back:
    each ended loop left one lent (tests/connectors/webchat/test_connections.py),
    and the PostgreSQL tests needed a pool of 40. Closing it in the thread
    after every call leaves none lent; with the pool a close is a return,
    not a new connection next time."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connection.close()

    return call


def touch_every() -> float:
    """Seconds between two heartbeat writes of one socket.

    Presence needs ``last_seen`` within ``TISKI_WEBCHAT_AWAY_MINUTES``; the
    widget pings every 20 s, and a write per ping was most of what 500 idle
    chats cost the web process (25 writes a second, each on a connection of
    its own). A quarter of the away time keeps a visitor who is there well
    inside it."""
    away = 60 * float(getattr(settings, "TISKI_WEBCHAT_AWAY_MINUTES", 2))
    return min(30.0, away / 4)


BAD_REQUEST = {"type": "error", "code": "bad_request"}
HELLO_FIRST = {"type": "error", "code": "hello_first"}


def to_visitor(event: dict, ticket_id: int | None = None) -> dict | None:
    """A channel-layer event of the session's group as the frame the widget gets.

    ``ticket_id`` is the session's ticket as this connection knows it: an
    agent typing on another ticket (one the session left when it was closed,
    which a desk tab opened before that still addresses) is not shown."""
    kind = event.get("type")
    if kind == "chat.reply":
        return {"type": "reply", "item": event["item"]}
    if kind == "chat.agent_typing":
        if ticket_id is not None and event.get("ticket_id") not in (None, ticket_id):
            return None
        return {"type": "typing", "author": event.get("author", ""), "state": bool(event["state"])}
    return None


async def active_widget(key: str) -> ChatWidget | None:
    return await db(_active_widget)(key)


def _active_widget(key: str) -> ChatWidget | None:
    # With what a chat's first message opens its ticket with: the socket
    # keeps this widget, and its sessions are given it (services.session_for).
    return (
        ChatWidget.objects.select_related("default_team", "default_type")
        .filter(public_key=key, active=True)
        .first()
    )


class Conversation:
    """One visitor's side of a chat on one connection (a socket, or one HTTP request)."""

    def __init__(
        self,
        widget: ChatWidget,
        session: ChatSession | None = None,
        on_hello: Callable[[ChatSession | None, ChatSession], Awaitable[None]] | None = None,
        send_now: Callable[[dict], Awaitable[None]] | None = None,
    ) -> None:
        self.widget = widget
        self.session = session
        # The socket joins the session's group here, before the history is
        # read, so a reply written in between is in one or the other.
        self.on_hello = on_hello
        # A transport that can send while the call is still running (the
        # socket) acknowledges a message as soon as it is committed; the
        # ticket-change handlers run after that, on the same thread.
        self.send_now = send_now
        # When this connection last wrote the visitor's heartbeat (monotonic):
        # a ping soon after is answered without a write. A socket lives on;
        # over HTTP each request is a new Conversation and writes.
        self.touched_at: float | None = None

    async def handle(self, content: Any) -> list[dict]:
        if not isinstance(content, dict):
            return [BAD_REQUEST]
        kind = content.get("type")
        if kind == "hello":
            return [await self._hello(content)]
        if self.session is None:
            return [HELLO_FIRST]
        if kind == "identify":
            return [await self._identify(content)]
        if kind == "message":
            return await self._message(content)
        if kind == "typing":
            await self._to_desk("chat.typing", state=bool(content.get("state")))
            return []
        if kind == "read":
            return await self._read(content)
        if kind == "transcript":
            sent = await db(services.send_transcript)(self.session)
            return [{"type": "transcript", "sent": sent}]
        if kind == "ping":
            if self.touched_at is None or monotonic() - self.touched_at >= touch_every():
                await db(services.touch)(self.session.pk)
                self.touched_at = monotonic()
            return [{"type": "pong"}]
        return []  # an unknown type from a newer widget: ignored, as before

    async def _hello(self, content: dict) -> dict:
        token = str(content.get("token") or "")
        lang = str(content.get("lang") or "")
        session = await db(_session)(self.widget, token, lang)
        if self.on_hello is not None:
            await self.on_hello(self.session, session)  # the socket's `opened`: a heartbeat
            self.touched_at = monotonic()
        self.session = session
        return await db(_welcome)(self.widget, session, lang)

    async def _identify(self, content: dict) -> dict:
        assert self.session is not None
        try:
            await db(services.identify)(
                self.session,
                name=str(content.get("name") or ""),
                email=str(content.get("email") or ""),
            )
        except ValidationError:
            return {"type": "error", "code": "bad_email"}
        return {"type": "identified"}

    async def _message(self, content: dict) -> list[dict]:
        assert self.session is not None
        client_id = str(content.get("client_id") or "")
        send_now = async_to_sync(self.send_now) if self.send_now is not None else None
        try:
            received, sent = await db(_receive)(
                self.session, client_id, str(content.get("text") or ""), send_now
            )
        except ValidationError:
            return [{"type": "error", "code": "not_sent", "client_id": client_id}]
        self.touched_at = monotonic()  # _receive wrote the heartbeat
        return [] if sent else [_ack(client_id, received)]

    async def _to_desk(self, kind: str, **data: Any) -> None:
        """To the agents with this chat's ticket open (the desk's ticket group).

        Only ids and flags travel: each desk socket checks the ticket against
        its own user before it shows anything."""
        assert self.session is not None
        if self.session.ticket_id is None:
            return  # nobody can have the ticket open before the first message
        layer = get_channel_layer()
        if layer is None:
            return
        await layer.group_send(
            ticket_group(self.session.ticket_id),
            {"type": kind, "ticket_id": self.session.ticket_id, **data},
        )

    async def _read(self, content: dict) -> list[dict]:
        assert self.session is not None
        try:
            message_id = int(content.get("id"))
        except (TypeError, ValueError):
            return [BAD_REQUEST]
        if await db(services.mark_read)(self.session, message_id):
            await self._to_desk("chat.read", message_id=message_id)
        return []


def _session(widget: ChatWidget, token: str, lang: str) -> ChatSession:
    """The visitor's own session by their token, or a new one."""
    return services.session_for(widget, token) or services.start_session(widget, lang)


def _welcome(widget: ChatWidget, session: ChatSession, lang: str) -> dict:
    return {
        "type": "welcome",
        "token": session.visitor_token,
        "identified": session.contact_id is not None,
        "greeting": widget.greeting(services.language_of(lang)),
        # Nobody to chat with (all away, full, or outside the chat hours): the
        # widget shows the offline message instead, and the chat becomes a
        # ticket answered by email.
        "available": availability.available(widget),
        "offline_message": widget.offline_message,
        "history": services.history(session),
    }


def _ack(client_id: str, received: services.Received) -> dict:
    return {"type": "ack", "client_id": client_id, "id": received.message_id}


def _receive(
    session: ChatSession, client_id: str, text: str, send_now: Callable[[dict], None] | None
) -> tuple[services.Received, bool]:
    """The message and the visitor's heartbeat on one database thread trip (a
    second trip would queue the ack behind other chats' work again); with
    ``send_now`` the ack goes out once the message is committed. The
    ticket-change handlers (SLA, rules, search, reports, notifications) wait
    until the end of the block and are then handed to a worker
    (``changes.handed_off``): they were three quarters of a message's cost,
    paid in this process while every other chat's ack waited for the
    interpreter. The desk's push still goes from here, so the agent sees the
    message at once. True: the ack is sent."""
    with changes.handed_off():
        received = services.receive(session, client_id=client_id, text=text, heartbeat=True)
        if send_now is None:
            return received, False
        try:
            send_now(_ack(client_id, received))
        except Exception:  # the socket closed: the resend after a reconnect acks it
            return received, True
        return received, True
