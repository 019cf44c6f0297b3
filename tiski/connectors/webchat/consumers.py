"""The visitor's websocket: no Django session, the visitor token is the key.

Messages from the browser (JSON): ``hello`` {token, lang}, ``identify``
{name, email}, ``message`` {client_id, text}, ``typing`` {state}, ``read`` {id},
``transcript``, ``ping``.
To the browser: ``welcome`` {token, identified, history}, ``ack``
{client_id, id}, ``reply`` {item}, ``typing`` {author, state}, ``error`` {code}.
``typing`` {state} and ``read`` {id} from the browser go on to the agents.
"""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError

from tiski.core.realtime import ticket_group

from . import availability, services
from .models import ChatSession, ChatWidget
from .origins import origin_of_scope


class ChatConsumer(AsyncJsonWebsocketConsumer):
    widget: ChatWidget | None = None
    session: ChatSession | None = None
    group: str = ""

    async def connect(self) -> None:
        key = self.scope["url_route"]["kwargs"]["public_key"]
        self.widget = await _active_widget(key)
        origin = origin_of_scope(self.scope)
        if self.widget is None or not self.widget.allows_origin(origin):
            # Refused before the handshake completes: the browser sees a 403.
            await self.close()
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.session is not None:
            await database_sync_to_async(services.closed)(self.session.pk)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # A broken frame gets an error back; the chat stays up.
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self.send_json({"type": "error", "code": "bad_request"})
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "code": "bad_request"})
            return
        kind = content.get("type")
        if kind == "hello":
            await self._hello(content)
        elif self.session is None:
            await self.send_json({"type": "error", "code": "hello_first"})
        elif kind == "identify":
            await self._identify(content)
        elif kind == "message":
            await self._message(content)
        elif kind == "typing":
            await self._to_desk("chat.typing", state=bool(content.get("state")))
        elif kind == "read":
            await self._read(content)
        elif kind == "transcript":
            sent = await database_sync_to_async(services.send_transcript)(self.session)
            await self.send_json({"type": "transcript", "sent": sent})
        elif kind == "ping":
            await database_sync_to_async(services.touch)(self.session.pk)
            await self.send_json({"type": "pong"})

    async def _hello(self, content: dict) -> None:
        assert self.widget is not None
        token = str(content.get("token") or "")
        lang = str(content.get("lang") or "")
        session = await database_sync_to_async(services.session_for)(self.widget, token)
        if session is None:
            session = await database_sync_to_async(services.start_session)(self.widget, lang)
        if self.session is not None:  # a second hello on one socket
            await database_sync_to_async(services.closed)(self.session.pk)
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await database_sync_to_async(services.opened)(session.pk)
        self.session = session
        self.group = services.session_group(session.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        history = await database_sync_to_async(services.history)(session)
        available = await database_sync_to_async(availability.available)(self.widget)
        await self.send_json(
            {
                "type": "welcome",
                "token": session.visitor_token,
                "identified": session.contact_id is not None,
                "greeting": self.widget.greeting(services.language_of(lang)),
                # Nobody to chat with (all away, full, or outside the chat
                # hours): the widget shows the offline message instead, and
                # the chat becomes a ticket answered by email.
                "available": available,
                "offline_message": self.widget.offline_message,
                "history": history,
            }
        )

    async def _identify(self, content: dict) -> None:
        assert self.session is not None
        try:
            await database_sync_to_async(services.identify)(
                self.session,
                name=str(content.get("name") or ""),
                email=str(content.get("email") or ""),
            )
        except ValidationError:
            await self.send_json({"type": "error", "code": "bad_email"})
            return
        await self.send_json({"type": "identified"})

    async def _message(self, content: dict) -> None:
        assert self.session is not None
        client_id = str(content.get("client_id") or "")
        try:
            received = await database_sync_to_async(services.receive)(
                self.session, client_id=client_id, text=str(content.get("text") or "")
            )
        except ValidationError:
            await self.send_json({"type": "error", "code": "not_sent", "client_id": client_id})
            return
        await database_sync_to_async(services.touch)(self.session.pk)
        await self.send_json({"type": "ack", "client_id": client_id, "id": received.message_id})

    async def _to_desk(self, kind: str, **data: Any) -> None:
        """To the agents with this chat's ticket open (the desk's ticket group).

        Only ids and flags travel: each desk socket checks the ticket against
        its own user before it shows anything."""
        assert self.session is not None
        if self.session.ticket_id is None:
            return  # nobody can have the ticket open before the first message
        await self.channel_layer.group_send(
            ticket_group(self.session.ticket_id),
            {"type": kind, "ticket_id": self.session.ticket_id, **data},
        )

    async def _read(self, content: dict) -> None:
        assert self.session is not None
        try:
            message_id = int(content.get("id"))
        except (TypeError, ValueError):
            await self.send_json({"type": "error", "code": "bad_request"})
            return
        if await database_sync_to_async(services.mark_read)(self.session, message_id):
            await self._to_desk("chat.read", message_id=message_id)

    # --- from the channel layer --------------------------------------------------------

    async def chat_reply(self, event: dict) -> None:
        await self.send_json({"type": "reply", "item": event["item"]})

    async def chat_agent_typing(self, event: dict) -> None:
        await self.send_json(
            {"type": "typing", "author": event.get("author", ""), "state": bool(event["state"])}
        )


@database_sync_to_async
def _active_widget(key: str) -> ChatWidget | None:
    return ChatWidget.objects.filter(public_key=key, active=True).first()
