"""The desk's websocket: live inbox updates, who is viewing a ticket.

One socket per browser tab. The server pushes only ids and a reason; the
page fetches what changed through the ordinary views, so every byte shown
went through `visible_to`. Whether a socket hears of a change at all is
decided without a query: the change carries its ticket's team, restricted
flag and assignee, and the socket holds its user's `Viewer` (role and
teams), read on connect and again when they change (`tiski.desk.viewers`)
or when it is a minute old. Presence is stateless on the server: a tab
announces itself on the ticket's group every few seconds and the others
forget a viewer they have not heard from for a while. That works the same
with the in-memory layer and with Redis across many processes.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tiski.connectors.webchat import services as chat
from tiski.core.realtime import DESK_GROUP, ticket_group, user_group
from tiski.reports.overview_online import OnlineRollCall
from tiski.tickets.models import Ticket, Viewer

# A safety net for role and team changes made without the ORM (the
# signals in `tiski.desk.viewers` announce the others at once).
VIEWER_MAX_AGE = 60.0


class DeskConsumer(OnlineRollCall, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=4401)
            return
        self.watched_ticket: int | None = None
        # The open ticket's team, restricted flag and assignee, and its
        # chats: read once by the watch, so that the chat's typing and read
        # signals (several a second in a busy chat) are decided without a query.
        self.watched_facts: dict[str, Any] | None = None
        self.watched_chats: list[int] = []
        await self._read_viewer()
        await self.channel_layer.group_add(DESK_GROUP, self.channel_name)
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        await self.accept()
        await self.announce_online()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "user", None) is None or not self.user.is_authenticated:
            return
        await self.channel_layer.group_discard(DESK_GROUP, self.channel_name)
        await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
        await self.announce_offline()
        if self.watched_ticket:
            await self._announce("presence.leave")
            await self.channel_layer.group_discard(
                ticket_group(self.watched_ticket), self.channel_name
            )

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        action = content.get("action")
        if action == "watch":
            await self._watch(content.get("ticket_id"), content.get("mode", "viewing"))
        elif action == "online":
            await self.start_roll_call()
        elif action == "typing" and self.watched_ticket:
            await self._typing_to_chat(bool(content.get("state")))
        elif action == "here" and self.watched_ticket:
            await self._announce("presence.here", mode=str(content.get("mode", "viewing"))[:20])

    async def _watch(self, ticket_id: Any, mode: str) -> None:
        try:
            ticket_id = int(ticket_id)
        except (TypeError, ValueError):
            return
        state = await database_sync_to_async(_watch_state)(self.user, ticket_id)
        if state is None:
            await self.send_json({"type": "error", "error": "forbidden"})
            return
        if self.watched_ticket and self.watched_ticket != ticket_id:
            await self.channel_layer.group_discard(
                ticket_group(self.watched_ticket), self.channel_name
            )
        self.watched_ticket = ticket_id
        self.watched_facts, self.watched_chats = state
        await self.channel_layer.group_add(ticket_group(ticket_id), self.channel_name)
        await self._announce("presence.here", mode=mode[:20])

    async def _announce(self, kind: str, **extra: Any) -> None:
        await self.channel_layer.group_send(
            ticket_group(self.watched_ticket),
            {
                "type": kind,
                "ticket_id": self.watched_ticket,
                "user_id": self.user.pk,
                "name": self.user.name or self.user.email,
                "sender": self.channel_name,
                **extra,
            },
        )

    async def _typing_to_chat(self, state: bool) -> None:
        """The agent is writing in the composer: the chat visitor sees "typing".

        Decided and addressed from what the watch read (the ticket's facts,
        kept fresh by its pushes, and its chats): a keystroke costs no query."""
        if not await self._sees_watched():
            return
        author = chat.agent_name(self.user)
        for session_id in self.watched_chats:
            await self.channel_layer.group_send(
                chat.session_group(session_id),
                {
                    "type": "chat.agent_typing",
                    "ticket_id": self.watched_ticket,
                    "author": author,
                    "state": state,
                },
            )

    async def _sees_watched(self) -> bool:
        """May this socket's user still see the ticket its tab has open?"""
        if self.watched_facts is None:
            return False
        if monotonic() - self.viewer_read_at > VIEWER_MAX_AGE:
            await self._read_viewer()
        return self.viewer.sees(**self.watched_facts)

    @database_sync_to_async
    def _can_see(self, ticket_id: int) -> bool:
        # A socket lives for hours: re-read team membership on every check.
        self.user.__dict__.pop("_tiski_team_ids", None)
        return Ticket.objects.visible_to(self.user).filter(pk=ticket_id).exists()

    async def _read_viewer(self) -> None:
        self.viewer = await database_sync_to_async(Viewer.read)(self.user.pk)
        self.viewer_read_at = monotonic()

    async def _hears_of(self, event: dict[str, Any]) -> bool:
        """May this socket's user see the changed ticket? A query only for old events."""
        if "team_restricted" not in event:
            return await self._can_see(event["ticket_id"])
        if monotonic() - self.viewer_read_at > VIEWER_MAX_AGE:
            await self._read_viewer()
        return self.viewer.sees(
            team_id=event["team_id"],
            team_restricted=event["team_restricted"],
            assignee_id=event["assignee_id"],
        )

    # --- group messages -----------------------------------------------------

    async def ticket_changed(self, event: dict[str, Any]) -> None:
        if event["ticket_id"] == self.watched_ticket and "team_restricted" in event:
            # The open ticket moved team or assignee: typing and read marks
            # follow the facts of its latest change.
            self.watched_facts = _facts(event)
        if not await self._hears_of(event):
            return
        await self.send_json(
            {
                "type": "ticket.changed",
                "ticket_id": event["ticket_id"],
                "reason": event["reason"],
                "message_id": event.get("message_id"),
            }
        )

    async def viewer_changed(self, event: dict[str, Any]) -> None:
        """The user's role, state or teams changed: decide from the new ones."""
        await self._read_viewer()

    async def user_event(self, event: dict[str, Any]) -> None:
        """Events addressed to this user only (the group is per user)."""
        await self.send_json({"type": event["event"], **event["data"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        """The chat visitor is typing (or stopped) on a ticket this tab has open."""
        if event["ticket_id"] != self.watched_ticket or not await self._sees_watched():
            return
        await self.send_json(
            {"type": "chat.typing", "ticket_id": event["ticket_id"], "state": bool(event["state"])}
        )

    async def chat_read(self, event: dict[str, Any]) -> None:
        if event["ticket_id"] != self.watched_ticket or not await self._sees_watched():
            return
        await self.send_json(
            {
                "type": "chat.read",
                "ticket_id": event["ticket_id"],
                "message_id": event["message_id"],
            }
        )

    async def presence_here(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name or event["user_id"] == self.user.pk:
            return
        await self.send_json(
            {
                "type": "presence",
                "ticket_id": event["ticket_id"],
                "user_id": event["user_id"],
                "name": event["name"],
                "mode": event.get("mode", "viewing"),
                "state": "here",
            }
        )

    async def presence_leave(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name or event["user_id"] == self.user.pk:
            return
        await self.send_json(
            {
                "type": "presence",
                "ticket_id": event["ticket_id"],
                "user_id": event["user_id"],
                "name": event["name"],
                "state": "gone",
            }
        )


def _facts(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "team_id": event["team_id"],
        "team_restricted": event["team_restricted"],
        "assignee_id": event["assignee_id"],
    }


def _watch_state(user: Any, ticket_id: int) -> tuple[dict[str, Any], list[int]] | None:
    """The ticket a tab opens, through `visible_to`: its facts and open chats, or None."""
    # A socket lives for hours: re-read team membership on every watch.
    user.__dict__.pop("_tiski_team_ids", None)
    row = (
        Ticket.objects.visible_to(user)
        .filter(pk=ticket_id)
        .values_list("team_id", "team__restricted", "assignee_id")
        .first()
    )
    if row is None:
        return None
    team_id, restricted, assignee_id = row
    facts = {"team_id": team_id, "team_restricted": bool(restricted), "assignee_id": assignee_id}
    return facts, chat.open_session_ids(ticket_id)
