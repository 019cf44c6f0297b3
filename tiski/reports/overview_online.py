"""Who is online, for the live overview: a roll call over the desk's sockets.

Presence stays stateless on the server, like the ticket page's viewers:
nothing is stored. A page that shows who is online asks every open desk
socket to answer ("roll call") and joins the ``desk.online`` group, where
each desk socket says when it opens and closes. The page counts distinct
people from what it heard, and repeats the roll call now and then to
forget tabs of a process that died without saying goodbye. It works the
same on the in-memory and the Redis channel layer.

``OnlineRollCall`` is mixed into the desk's websocket consumer.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tiski.core.realtime import DESK_GROUP

ONLINE_GROUP = "desk.online"


class OnlineRollCall:
    # Provided by the consumer this is mixed into (send_json too).
    channel_layer: Any
    channel_name: str
    user: Any

    def _online_payload(self, kind: str) -> dict[str, Any]:
        return {
            "type": kind,
            "user_id": self.user.pk,
            "name": self.user.name or self.user.email,
            "sender": self.channel_name,
        }

    async def announce_online(self) -> None:
        await self.channel_layer.group_send(ONLINE_GROUP, self._online_payload("online.here"))

    async def announce_offline(self) -> None:
        await self.channel_layer.group_send(ONLINE_GROUP, self._online_payload("online.gone"))
        await self.channel_layer.group_discard(ONLINE_GROUP, self.channel_name)

    async def start_roll_call(self) -> None:
        """This socket's page wants to know who is online, now and from now on."""
        await self.channel_layer.group_add(ONLINE_GROUP, self.channel_name)
        await self.channel_layer.group_send(
            DESK_GROUP, {"type": "online.rollcall", "reply_to": self.channel_name}
        )

    # --- channel layer messages ---------------------------------------------

    async def online_rollcall(self, event: dict[str, Any]) -> None:
        await self.channel_layer.send(event["reply_to"], self._online_payload("online.here"))

    async def online_here(self, event: dict[str, Any]) -> None:
        await self._forward_online(event, "here")

    async def online_gone(self, event: dict[str, Any]) -> None:
        await self._forward_online(event, "gone")

    async def _forward_online(self, event: dict[str, Any], state: str) -> None:
        await self.send_json(  # type: ignore[attr-defined]
            {
                "type": "online",
                "state": state,
                "user_id": event["user_id"],
                "name": event["name"],
                # Which tab: one person may have several; the socket's own name stays here.
                "tab": hashlib.sha256(event["sender"].encode()).hexdigest()[:16],
            }
        )
