"""Pushes to the channel layer: many at once arrive as one by one would."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tiski.core import realtime


def _listening(*groups: str) -> str:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    for group in groups:
        async_to_sync(layer.group_add)(group, channel)
    return channel


def _received(channel: str, count: int) -> list[int]:
    layer = get_channel_layer()
    return [async_to_sync(layer.receive)(channel)["n"] for _ in range(count)]


def test_many_messages_arrive_in_order_on_their_groups():
    """Each (group, payload) reaches the group's sockets, in the order given."""
    desk = _listening("desk", "ticket.7")
    other = _listening("ticket.8")
    realtime.send_many(
        [
            ("desk", {"type": "ticket.changed", "n": 1}),
            ("ticket.7", {"type": "ticket.changed", "n": 2}),
            ("ticket.8", {"type": "ticket.changed", "n": 3}),
            ("desk", {"type": "ticket.changed", "n": 4}),
        ]
    )
    assert _received(desk, 3) == [1, 2, 4]
    assert _received(other, 1) == [3]


def test_one_failed_push_does_not_stop_the_others(monkeypatch):
    """A push is a courtesy: a failing send is logged, the rest still go."""
    layer = get_channel_layer()
    channel = _listening("desk")
    real = layer.group_send

    async def failing(group, payload):
        if payload["n"] == 1:
            raise ConnectionError("redis went away")
        await real(group, payload)

    monkeypatch.setattr(layer, "group_send", failing)
    realtime.send_many([("desk", {"type": "x", "n": 1}), ("desk", {"type": "x", "n": 2})])
    assert _received(channel, 1) == [2]
