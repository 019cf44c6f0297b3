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


def _chat(widget, make_contact, make_user, email: str = "uusi@example.com"):
    """A socket's view of a new chat: its widget as the socket reads it, the
    session as a hello finds it, an agent available in the widget's team."""
    agent = make_user(name="Aino Agentti")
    agent.chat_available = True
    agent.chat_limit = 5
    agent.save()
    widget.default_team.members.add(agent)
    live_widget = protocol._active_widget(widget.public_key)
    session = services.start_session(live_widget, "fi")
    session.contact = make_contact(email=email)
    session.save()
    return live_widget, services.session_for(live_widget, session.visitor_token), agent


@pytest.mark.django_db(transaction=True)  # real commits, as in the web process
def test_a_first_message_costs_the_web_process_fifteen_queries(
    widget, worker, make_contact, make_user, make_ticket, django_assert_max_num_queries
):
    """The chat's new ticket, its message and events, the routing to an
    agent, the heartbeat and the desk's push: 24 statements before
    (bench/README.md, "Fifth round"), of which the widget and team were read
    again, the new ticket re-read under a lock in a savepoint, the chosen
    agent and the first message read back, and the heartbeat an UPDATE of
    its own."""
    make_ticket()  # not the desk's first ticket (on SQLite that makes the number row)
    handled.clear()
    worker.clear()  # that ticket's report facts, left to the worker
    _widget, session, agent = _chat(widget, make_contact, make_user)
    with django_assert_max_num_queries(15):
        received, _acked = protocol._receive(session, "n1", "Onko tämä varastossa?", None)
    ticket = Ticket.objects.get(webchat_sessions=session)
    assert ticket.assignee_id == agent.pk and ticket.status == "open"
    assert received.message_id == ticket.messages.get().pk
    session.refresh_from_db()
    assert session.ticket_id == ticket.pk and session.last_seen is not None
    assert len(worker) == 1 and handled == []


@pytest.mark.django_db(transaction=True)
def test_a_new_chat_ticket_writes_what_it_wrote_before_the_shortcut(
    widget, worker, make_contact, make_user
):
    """Routing a ticket its own transaction has just written (no lock, no
    savepoint) leaves the same rows as routing it under a lock: the same
    events in the same order, the same assignee, status and ring."""
    from tiski.connectors.webchat import availability
    from tiski.tickets import actions
    from tiski.tickets.models import Channel, Via

    live_widget, session, agent = _chat(widget, make_contact, make_user)
    protocol._receive(session, "n1", "Hei", None)
    fast = Ticket.objects.get(webchat_sessions=session)

    # The path before: routed after the fact, under a lock.
    with changes.handed_off(), actions.unit_of_work():
        slow = actions.create_ticket(
            requester=session.contact,
            subject="Hei",
            actor=None,
            via=Via.CHANNEL,
            channel=Channel.CHAT,
            text="Hei",
            team=live_widget.default_team,
        )
        availability.route_chat(slow, live_widget)
    slow.refresh_from_db()

    def rows(ticket):
        return [
            (e.kind, e.field, e.old_value, e.new_value, e.via, e.actor_id)
            for e in ticket.events.order_by("id")
        ]

    assert rows(fast) == rows(slow)
    assert [k for k, *_ in rows(fast)] == ["created", "message", "field", "field"]
    assert (fast.assignee_id, fast.status) == (slow.assignee_id, slow.status) == (agent.pk, "open")
    (change_fast,), (change_slow,) = [args[0] for _name, args in worker]
    for change in (change_fast, change_slow):
        change.pop("ticket_id")
        change["messages"] = [kind for _id, kind in change["messages"]]
    assert change_fast == change_slow


@pytest.mark.django_db(transaction=True)
def test_a_workers_batch_of_new_chats_costs_about_the_same_statements_for_two_or_six(
    widget, worker, make_contact, make_user, make_ticket
):
    """The handlers of new chat tickets handled together (the worker takes
    the calls waiting in its queue): SLA, routing, search, reports, the
    assignment notices and the rest read and write for all at once, so
    six cost about what two do (one task each: 56 statements per chat)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_ticket()
    _widget, first, _agent = _chat(widget, make_contact, make_user)
    sessions = [first] + [
        services.session_for(
            first.widget,
            services.identify(
                services.start_session(first.widget, "fi"),
                name=f"Kävijä {n}",
                email=f"kavija{n}@example.com",
            ).visitor_token,
        )
        for n in range(7)
    ]
    for n, session in enumerate(sessions):
        protocol._receive(session, "eka", f"Kysymys {n}", None)
    handed = [changes.TicketChange.from_data(item) for (_n, (data,)) in worker for item in data]
    counts = []
    for batch in (handed[:2], handed[2:]):
        with CaptureQueriesContext(connection) as queries:
            changes.dispatch_in_rounds(batch)
        counts.append(len(queries.captured_queries))
    assert counts[1] <= counts[0] + 2
    assert counts[1] < 2 * 56
