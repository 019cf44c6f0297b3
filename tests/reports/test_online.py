"""Agents online: the roll call over the desk's websocket."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator

from tiski.accounts.models import Role


async def _socket(user):
    from channels.db import database_sync_to_async
    from django.test import Client

    from tiski.asgi import application

    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = client.cookies["sessionid"].value
    communicator = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"cookie", f"sessionid={cookie}".encode()),
            (b"host", b"127.0.0.1"),
            (b"origin", b"http://127.0.0.1"),
        ],
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _online(communicator, count: int) -> list[dict]:
    seen = []
    while len(seen) < count:
        message = await communicator.receive_json_from(timeout=2)
        if message.get("type") == "online":
            seen.append(message)
    return seen


@pytest.mark.django_db(transaction=True)
def test_roll_call_answers_every_open_desk_and_follows_arrivals_and_departures(make_user):
    manager = make_user(role=Role.MANAGER, name="Maija Manageri")
    aki = make_user(name="Aki Agentti")
    olli = make_user(name="Olli Osaaja")

    async def scenario():
        aki_tab = await _socket(aki)
        overview = await _socket(manager)
        await overview.send_json_to({"action": "online"})
        answers = await _online(overview, 2)
        assert {(m["name"], m["state"]) for m in answers} == {
            ("Aki Agentti", "here"),
            ("Maija Manageri", "here"),
        }
        # Channel names stay on the server: the tab is an opaque digest.
        assert all("!" not in m["tab"] and len(m["tab"]) == 16 for m in answers)
        olli_tab = await _socket(olli)
        (arrived,) = await _online(overview, 1)
        assert (arrived["name"], arrived["state"]) == ("Olli Osaaja", "here")
        await aki_tab.disconnect()
        (left,) = await _online(overview, 1)
        assert (left["user_id"], left["state"]) == (aki.pk, "gone")
        # A desk tab that never asked hears none of this.
        assert await olli_tab.receive_nothing(timeout=0.3)
        await olli_tab.disconnect()
        await overview.disconnect()

    async_to_sync(scenario)()
