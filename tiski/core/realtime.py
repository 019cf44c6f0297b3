"""Telling open browsers that something changed: the channel-layer groups
and the one function that sends to them.

Only ids travel over the channel layer; each websocket consumer checks the
ticket against its own user's `visible_to` before it forwards anything, so a
push can never leak a ticket the user may not see. What to announce after a
ticket change is the desk's business (`tiski.desk.push`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

DESK_GROUP = "desk"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def send(group: str, payload: dict[str, Any]) -> None:
    """Send to every socket in a group; never raises (a push is a courtesy)."""
    send_many([(group, payload)])


def send_many(messages: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """`send` for many (group, payload) pairs, in order; never raises.

    One trip into the event loop for all of them: a time-rule chunk
    announces hundreds of changes, and each `async_to_sync` call starts a
    loop of its own (most of a push's cost with the in-memory layer).
    """
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass  # the normal case: a sync thread (a view, a task, a command)
    else:
        # Called from code running inside an event loop's thread: hand the
        # sends to that loop instead of blocking it.
        for group, payload in messages:
            asyncio.ensure_future(layer.group_send(group, payload))
        return

    async def send_all() -> None:
        for group, payload in messages:
            try:
                await layer.group_send(group, payload)
            except Exception:  # one lost push must not stop the others
                log.warning("could not publish %s to %s", payload.get("type"), group, exc_info=True)

    try:
        async_to_sync(send_all)()
    except Exception:  # a push is a courtesy: never let it break a write
        log.warning("could not publish %d messages", len(messages), exc_info=True)


def send_to_user(user_id: int, event: str, data: dict[str, Any]) -> None:
    """Push an event to every open tab of one agent (e.g. a phone screen pop).

    The payload reaches that user's sockets only; the consumer forwards it
    as ``{"type": event, ...data}``. Call it after commit.
    """
    send_many([user_event(user_id, event, data)])


def user_event(user_id: int, event: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """What `send_to_user` sends, as a (group, payload) pair for `send_many`:
    many users' events in one trip (a worker's batch of notices)."""
    return user_group(user_id), {"type": "user.event", "event": event, "data": data}
