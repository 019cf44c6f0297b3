"""A worker indexes the `index_ticket` calls waiting behind one in one pass
(`core.task_batches`), and leaves the rest of the queue as it was."""

from __future__ import annotations

import pytest

from tiski.celery import app
from tiski.core import tasks as core_tasks
from tiski.search import tasks as search_tasks

QUEUE = "celery"


@pytest.fixture
def broker(monkeypatch):
    """Tasks wait in Celery's in-memory broker, as in Redis; indexing noted."""
    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(QUEUE)  # left by earlier tests in this process
    indexed: list[list[int]] = []
    monkeypatch.setattr(search_tasks, "index_tickets", lambda ids: indexed.append(list(ids)))
    return indexed


def _queue(name: str, *args) -> None:  # type: ignore[no-untyped-def]
    app.send_task(name, args=list(args), queue=QUEUE)


def test_the_waiting_calls_are_indexed_with_the_first_in_one_pass(broker):
    for ticket_id in (3, 2, 3):
        _queue(search_tasks.INDEX_TICKET_TASK, ticket_id)
    search_tasks.index_ticket(1)
    assert broker == [[1, 2, 3]]
    search_tasks.index_ticket(4)  # nothing waits now: acknowledged, not seen again
    assert broker == [[1, 2, 3], [4]]


def test_another_tasks_call_stops_the_taking_and_stays(broker):
    _queue(search_tasks.INDEX_TICKET_TASK, 2)
    _queue("tiski.search.index_missing", 10)
    _queue(search_tasks.INDEX_TICKET_TASK, 3)
    search_tasks.index_ticket(1)
    assert broker == [[1, 2]]
    with app.connection_for_read() as connection:
        left = [connection.default_channel.basic_get(QUEUE, no_ack=True) for _ in range(3)]
    assert left[2] is None
    assert sorted(m.headers["task"] for m in left[:2]) == [
        "tiski.search.index_missing",
        search_tasks.INDEX_TICKET_TASK,
    ]
