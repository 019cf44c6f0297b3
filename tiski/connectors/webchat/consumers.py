"""The visitor's websocket: no Django session, the visitor token is the key.

The frames and what they do are ``protocol.py``'s, shared with the
long-polling fallback; this consumer adds what only a socket has: the count
of open sockets (presence) and membership of the session's channel-layer
group while it is open.
"""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import services
from .models import ChatSession
from .origins import origin_of_scope
from .protocol import BAD_REQUEST, Conversation, active_widget, db, to_visitor


class ChatConsumer(AsyncJsonWebsocketConsumer):
    conversation: Conversation | None = None
    group: str = ""

    async def connect(self) -> None:
        key = self.scope["url_route"]["kwargs"]["public_key"]
        widget = await active_widget(key)
        origin = origin_of_scope(self.scope)
        if widget is None or not widget.allows_origin(origin):
            # Refused before the handshake completes: the browser sees a 403.
            await self.close()
            return
        self.conversation = Conversation(widget, on_hello=self._join, send_now=self.send_json)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.conversation is not None:
            await self._leave(self.conversation.session)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # A broken frame gets an error back; the chat stays up.
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self.send_json(BAD_REQUEST)
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        assert self.conversation is not None
        for frame in await self.conversation.handle(content):
            await self.send_json(frame)

    async def _join(self, before: ChatSession | None, session: ChatSession) -> None:
        """A hello: this socket counts for the session and hears its group.

        A second hello on one socket first leaves what the first one joined."""
        await self._leave(before)
        await db(services.opened)(session.pk)
        self.group = services.session_group(session.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def _leave(self, session: ChatSession | None) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""
        if session is not None:
            await db(services.closed)(session.pk)

    # --- from the channel layer --------------------------------------------------------

    async def chat_reply(self, event: dict) -> None:
        await self.send_json(to_visitor(event))

    async def chat_agent_typing(self, event: dict) -> None:
        session = self.conversation.session if self.conversation is not None else None
        frame = to_visitor(event, session.ticket_id if session is not None else None)
        if frame is not None:
            await self.send_json(frame)
