"""The desk socket decides from the change's facts which pushes its user hears."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from tiski.desk.consumers import DeskConsumer
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Via


async def _socket(user) -> WebsocketCommunicator:
    from tiski.asgi import application

    client = Client()
    await database_sync_to_async(client.force_login)(user)
    communicator = WebsocketCommunicator(
        application,
        "/ws/desk/",
        headers=[
            (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
            (b"host", b"127.0.0.1"),
            (b"origin", b"http://127.0.0.1"),
        ],
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _pushed(communicator: WebsocketCommunicator) -> list[int]:
    """The ticket ids this socket heard of until it went quiet."""
    heard = []
    while not await communicator.receive_nothing(timeout=0.5):
        message = await communicator.receive_json_from()
        if message.get("type") == "ticket.changed":
            heard.append(message["ticket_id"])
    return heard


@pytest.mark.django_db(transaction=True)
def test_an_outsider_never_hears_of_a_restricted_ticket_until_they_join(
    make_user, make_team, make_contact, make_ticket, monkeypatch
):
    """Pushes follow team membership as it changes, without a query per socket.

    The per-socket query is switched off: every decision comes from the
    change's team, restricted flag and assignee and the socket's viewer.
    """
    secret = make_team("Henkilöstö", restricted=True)
    member = make_user(teams=(secret,))
    outsider = make_user(teams=(make_team("Myynti"),))
    ticket = make_ticket(team=secret)
    contact = ticket.requester

    async def no_query(self, ticket_id):
        raise AssertionError("a push must be decided without a query")

    monkeypatch.setattr(DeskConsumer, "_can_see", no_query)

    def customer_writes(text: str) -> None:
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            author_contact=contact,
            text=text,
        )

    async def scenario():
        member_socket = await _socket(member)
        outsider_socket = await _socket(outsider)
        await database_sync_to_async(customer_writes)("Salainen")
        assert ticket.pk in await _pushed(member_socket)
        assert await _pushed(outsider_socket) == []

        # Joined the team: the next change reaches them.
        await database_sync_to_async(secret.members.add)(outsider)
        await database_sync_to_async(customer_writes)("Toinen")
        assert ticket.pk in await _pushed(outsider_socket)

        # Left it again (through the user's side of the relation): silence.
        await database_sync_to_async(outsider.teams.remove)(secret)
        await database_sync_to_async(customer_writes)("Kolmas")
        assert await _pushed(outsider_socket) == []
        assert ticket.pk in await _pushed(member_socket)
        await member_socket.disconnect()
        await outsider_socket.disconnect()

    async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_agent_hears_nothing_more(make_user, make_ticket):
    """Saving the user (deactivated) refreshes their open sockets at once."""
    agent = make_user()
    ticket = make_ticket()  # no team: every agent sees it

    def touch(priority: str) -> None:
        ticket.refresh_from_db()
        actions.update_ticket(ticket, actor=None, via=Via.CHANNEL, priority=priority)

    async def scenario():
        socket = await _socket(agent)
        await database_sync_to_async(touch)("high")
        assert ticket.pk in await _pushed(socket)
        agent.is_active = False
        await database_sync_to_async(agent.save)(update_fields=["is_active"])
        await database_sync_to_async(touch)("low")
        assert await _pushed(socket) == []
        await socket.disconnect()

    async_to_sync(scenario)()
