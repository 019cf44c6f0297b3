"""A busy web process hands the ticket-change handlers to a worker
(`changes.handed_off`): the live ones run at once, the whole list in the task."""

from __future__ import annotations

import json

import pytest

from tiski.core import tasks as core_tasks
from tiski.tickets import actions, changes
from tiski.tickets import tasks as ticket_tasks
from tiski.tickets.models import MessageKind, Via

calls: list[tuple[str, int]] = []


def live(change: changes.TicketChange) -> None:
    calls.append(("live", change.ticket_id))


def slow(change: changes.TicketChange) -> None:
    calls.append(("slow", change.ticket_id))


@pytest.fixture
def handlers(settings):
    calls.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        "tests.tickets.test_handed_off.slow",
        "tests.tickets.test_handed_off.live",
    ]
    settings.TISKI_TICKET_CHANGE_LIVE_HANDLERS = ["tests.tickets.test_handed_off.live"]
    yield calls
    changes._handlers.cache_clear()


@pytest.fixture
def worker(monkeypatch):
    """Tasks go to a broker (as with REDIS_URL set); the queued ones are kept here."""
    queued: list[tuple[str, tuple]] = []
    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    monkeypatch.setattr(core_tasks, "enqueue", lambda name, *args: queued.append((name, args)))
    return queued


def _message(ticket, text: str = "Vielä yksi kysymys") -> None:
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        text=text,
        channel="chat",
        author_contact=ticket.requester,
    )


def test_change_survives_json_both_ways(make_ticket, make_user):
    change = changes.TicketChange(
        ticket_id=7,
        via=Via.AGENT,
        actor_id=3,
        created=True,
        messages=((11, MessageKind.PUBLIC),),
        fields={"status": ("new", "pending")},
        tags_added=("vip",),
        tags_removed=("old",),
        sla_events=("sla_warning",),
    )
    assert changes.TicketChange.from_data(json.loads(json.dumps(change.as_data()))) == change


def test_with_a_worker_only_live_handlers_run_here(
    handlers, worker, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with changes.handed_off():
        with django_capture_on_commit_callbacks(execute=True):  # the commit
            _message(ticket)
        assert handlers == []  # committed, but nothing before the block ends
    assert handlers == [("live", ticket.pk)]
    ((name, (data,)),) = worker
    assert name == changes.HANDLE_CHANGES_TASK
    # The worker runs the whole list in order, the live one again among them.
    assert ticket_tasks.handle_changes(data) == 1
    assert handlers[1:] == [("slow", ticket.pk), ("live", ticket.pk)]


def test_without_a_worker_every_handler_runs_once_here(
    handlers, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with changes.handed_off():
        with django_capture_on_commit_callbacks(execute=True):
            _message(ticket)
    assert handlers == [("slow", ticket.pk), ("live", ticket.pk)]


def test_a_broker_that_is_down_runs_the_handlers_here(
    handlers, monkeypatch, make_ticket, django_capture_on_commit_callbacks
):
    def refuse(name: str, *args: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    monkeypatch.setattr(core_tasks, "enqueue", refuse)
    ticket = make_ticket()
    with changes.handed_off():
        with django_capture_on_commit_callbacks(execute=True):
            _message(ticket)
    assert handlers == [("live", ticket.pk), ("slow", ticket.pk), ("live", ticket.pk)]


def test_the_task_runs_in_place_without_a_broker(handlers, make_ticket):
    ticket = make_ticket()
    change = changes.TicketChange(ticket_id=ticket.pk, via=Via.CHANNEL, actor_id=None)
    core_tasks.enqueue(changes.HANDLE_CHANGES_TASK, [change.as_data()])
    assert handlers == [("slow", ticket.pk), ("live", ticket.pk)]


@pytest.fixture
def slow_in_a_worker(settings, handlers):
    settings.TISKI_TICKET_CHANGE_WORKER_HANDLERS = ["tests.tickets.test_handed_off.slow"]
    return handlers


def test_a_single_change_leaves_the_worker_handlers_to_a_worker(
    slow_in_a_worker, worker, make_ticket, django_capture_on_commit_callbacks
):
    """An agent's reply (one change, not a batch): the report facts' kind of
    handler goes to a worker, every other one runs here at once, in order."""
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        _message(ticket)
    assert slow_in_a_worker == [("live", ticket.pk)]
    ((name, (data,)),) = worker
    assert name == changes.HANDLE_LATER_TASK
    # The worker runs the worker handlers only, for the calls waiting too.
    assert ticket_tasks.handle_changes_later(data) == 1
    assert slow_in_a_worker == [("live", ticket.pk), ("slow", ticket.pk)]


def test_a_single_change_without_a_worker_runs_every_handler_in_order(
    slow_in_a_worker, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        _message(ticket)
    assert slow_in_a_worker == [("slow", ticket.pk), ("live", ticket.pk)]


def test_a_single_change_with_the_broker_down_runs_the_worker_handlers_here(
    slow_in_a_worker, monkeypatch, make_ticket, django_capture_on_commit_callbacks
):
    def refuse(name: str, *args: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    monkeypatch.setattr(core_tasks, "enqueue", refuse)
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        _message(ticket)
    assert slow_in_a_worker == [("live", ticket.pk), ("slow", ticket.pk)]


def test_a_batch_runs_its_worker_handlers_itself(
    slow_in_a_worker, worker, make_ticket, django_capture_on_commit_callbacks
):
    """A time-rule pass or an import (`batched`): the bulk forms share the
    work already, nothing is queued."""
    ticket = make_ticket()
    with changes.batched(), django_capture_on_commit_callbacks(execute=True):
        _message(ticket)
    assert slow_in_a_worker == [("slow", ticket.pk), ("live", ticket.pk)]
    assert worker == []


def test_the_report_facts_are_a_worker_handler():
    """What the setting ships with, and that it is one of the handlers."""
    from django.conf import settings

    assert settings.TISKI_TICKET_CHANGE_WORKER_HANDLERS == ["tiski.reports.facts.on_ticket_change"]
    assert set(settings.TISKI_TICKET_CHANGE_WORKER_HANDLERS) <= set(
        settings.TISKI_TICKET_CHANGE_HANDLERS
    )


def test_handed_off_handlers_are_taken_before_the_default_queue():
    """Their own queue, first in the worker's order and consumed by priority:
    a backlog of search indexing on the default queue does not hold them."""
    from tiski.celery import app

    route = app.amqp.router.route({}, changes.HANDLE_CHANGES_TASK)
    assert route["queue"].name == "changes"
    assert app.amqp.router.route({}, "tiski.search.index_ticket")["queue"].name == "celery"
    assert list(app.amqp.queues) == ["changes", "changes_later", "celery"]
    # A single change's facts on a queue of their own: between the visitors'
    # messages they would cut the worker's batches of those to one call.
    later = app.amqp.router.route({}, changes.HANDLE_LATER_TASK)
    assert later["queue"].name == changes.HANDLE_LATER_QUEUE == "changes_later"
    assert app.conf.broker_transport_options["queue_order_strategy"] == "priority"
