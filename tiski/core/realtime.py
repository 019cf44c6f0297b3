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
import os
import threading
from collections.abc import Sequence
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer

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
        if _on_sender_loop(layer):
            asyncio.run_coroutine_threadsafe(send_all(), _sender_loop()).result(SEND_TIMEOUT)
        else:
            async_to_sync(send_all)()
    except Exception:  # a push is a courtesy: never let it break a write
        log.warning("could not publish %d messages", len(messages), exc_info=True)


# How long a sync caller waits for its sends on the sender loop.
SEND_TIMEOUT = 30.0
_sender: tuple[int, asyncio.AbstractEventLoop] | None = None
_sender_lock = threading.Lock()


def _on_sender_loop(layer: BaseChannelLayer) -> bool:
    """Whether this sync caller's sends go through the process's sender loop.

    ``async_to_sync`` in a thread without an event loop of its own (a worker's
    task, a desk process's request, a command) runs each call on a new event
    loop, and channels_redis keeps its Redis connections per loop: every
    send opened a new connection to Redis and closed it again, most of a
    push's cost (two a chat reply, one per notice). One long-lived loop per
    process keeps them. Not for a layer that lives in this process (the
    in-memory one: its queues belong to the loop of the sockets waiting on
    them), nor for a thread that runs for an event loop (Channels' database
    threads: ``async_to_sync`` sends on that loop, whose connections live on).
    """
    if isinstance(layer, InMemoryChannelLayer):
        return False
    main = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    pid = getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None)
    # The thread-local outlives its loop: a thread that once ran for a loop
    # now ended (a test's, a command's) is a sync caller again.
    return main is None or pid != os.getpid() or not main.is_running()


def _sender_loop() -> asyncio.AbstractEventLoop:
    """The process's sender loop, running in a thread of its own; made again
    after a fork (a Celery worker's child would otherwise inherit a loop
    whose thread is not there)."""
    global _sender
    with _sender_lock:
        if _sender is None or _sender[0] != os.getpid() or _sender[1].is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-sender", daemon=True).start()
            _sender = (os.getpid(), loop)
        return _sender[1]


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
