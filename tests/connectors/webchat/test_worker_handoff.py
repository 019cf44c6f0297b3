"""With a worker (REDIS_URL set), a visitor's message costs the web process
only its own writes and the desk's push; the ticket-change handlers (SLA,
rules, search, reports, notifications, webhooks) are handed to a task."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tiski.connectors.webchat import protocol, services
from tiski.core import tasks as core_tasks
from tiski.core.realtime import DESK_GROUP
from tiski.tickets import changes
from tiski.tickets import tasks as ticket_tasks
from tiski.tickets.models import Ticket

from .test_consumer import _visitor

handled: list[changes.TicketChange] = []


def record(change: changes.TicketChange) -> None:
    handled.append(change)


@pytest.fixture
def worker(monkeypatch, settings):
    """Tasks go to a broker; the queued ones are kept here, not run."""
    queued: list[tuple[str, tuple]] = []
    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    monkeypatch.setattr(core_tasks, "enqueue", lambda name, *args: queued.append((name, args)))
    handled.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        *settings.TISKI_TICKET_CHANGE_HANDLERS,
        f"{__name__}.record",
    ]
    yield queued
    changes._handlers.cache_clear()


@pytest.mark.django_db(transaction=True)
def test_the_desk_hears_at_once_and_the_handlers_wait_for_the_worker(widget, worker):
    async def scenario():
        layer = get_channel_layer()
        desk = await layer.new_channel()
        await layer.group_add(DESK_GROUP, desk)
        socket, _ = await _visitor(widget)
        await socket.send_json_to({"type": "message", "client_id": "w1", "text": "Hei"})
        ack = await socket.receive_json_from(timeout=30)
        pushed = await layer.receive(desk)
        await socket.disconnect()
        return ack, pushed

    ack, pushed = async_to_sync(scenario)()
    ticket = Ticket.objects.get()
    assert ack["type"] == "ack"
    assert pushed["type"] == "ticket.changed" and pushed["ticket_id"] == ticket.pk
    assert pushed["reason"] == "created" and pushed["message_id"] == ack["id"]
    assert handled == []  # not in the web process
    ((name, (data,)),) = worker
    assert name == changes.HANDLE_CHANGES_TASK
    ticket_tasks.handle_changes(data)
    (change,) = handled
    assert change.created and change.ticket_id == ticket.pk
    assert change.last_message_id == ack["id"]


@pytest.mark.django_db(transaction=True)  # real commits: the handlers run on them
def test_a_follow_up_message_costs_the_web_process_a_dozen_queries(
    widget, worker, make_contact, django_assert_max_num_queries
):
    """The ack's own writes and the heartbeat; the handlers' forty-odd
    queries run in the worker (tickets.changes.handed_off)."""
    session = services.start_session(widget, "fi")
    session.contact = make_contact()
    session.save()
    protocol._receive(session, "f1", "Ensimmäinen", None)
    session = services.session_for(widget, session.visitor_token)
    with django_assert_max_num_queries(12):
        received, acked = protocol._receive(session, "f2", "Toinen viesti", None)
    assert not received.duplicate and not acked
    assert len(worker) == 2 and handled == []
