"""What a web chat's new ticket costs, in-process: the web process's part and the worker's.

    DATABASE_URL=postgres://... .venv/bin/python bench/chat_new_tickets.py [--chats 200]
        [--batch 20] [--label x]

1. ``2 × --chats`` identified chats (one widget, one available agent) write
   their first message, each opening a ticket, through the chat's own call
   (``protocol._receive``) as the web process does with a worker beside it:
   the ticket-change handlers are handed off, and kept here instead of
   queued. Measured per message: statements, and CPU seconds of this process
   (``time.process_time``: Python's side; PostgreSQL's own CPU is not in it).
2. The handed-off changes are then handled as a worker does, in this process:
   the first half one task per change (``dispatch_many`` of one change: the
   worker before it took the waiting calls together), the second half in
   batches of ``--batch`` (``tickets.tasks.handle_changes`` with the calls
   waiting behind it; 20 is about one second of new chats at 500 chats).
   Measured per change: statements, CPU seconds, and milliseconds.
3. Then an agent answers every chat once (the visitor's socket counted as
   open), as the bench's agents' processes do (``bench/chat.py``'s
   ``reply``: the conversation's route, ``tickets.actions.add_message``
   with every change handler in this process; the search index's task runs
   in place here, in a worker there). Measured per reply: statements and
   CPU seconds, and per handler (``by_handler``) for the worker's batches
   and the replies.
4. Then a later message on every chat (the agent who replied follows the
   ticket and is told of it): the web process's part and the worker's in
   batches, as in 1 and 2.

CPU seconds and statements are what to compare on a shared machine; wall
times are indicative. Writes bench/results/chat-new-tickets-<date>[-label].json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # no broker: the handed-off changes are kept below
    from chat import DEFAULT_URL, ensure_database, prepare, setup_django

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    setup_django(url, "")
    from django.db import connection

    from tiski.connectors.webchat import protocol, services
    from tiski.core import tasks as core_tasks
    from tiski.tickets import changes

    # Every statement counted, BEGIN and COMMIT too (Django keeps 9,000).
    connection.queries_limit = 10**7
    connection.queries_log = deque(maxlen=connection.queries_limit)
    key, _agent, _cookie = prepare(2 * args.chats)
    widget = protocol._active_widget(key)
    queued: list[list[dict]] = []
    # A single change's worker handlers (the report facts of an agent's reply:
    # `changes.handle_later`), kept apart from the handed-off changes.
    later: list[list[dict]] = []
    core_tasks.runs_in_place = lambda: False  # type: ignore[assignment]
    core_tasks.enqueue = lambda name, data: (  # type: ignore[assignment]
        later if name == getattr(changes, "HANDLE_LATER_TASK", None) else queued
    ).append(data)

    stamp = time.time()
    sessions = []
    for n in range(2 * args.chats):
        session = services.start_session(widget, "fi")
        services.identify(session, name=f"N {n}", email=f"n{n}-{stamp}@new-tickets.example")
        sessions.append(services.session_for(widget, session.visitor_token))

    # Warm-up: the first message of a process imports and caches what the rest reuse.
    protocol._receive(sessions[0], "warm", "Lämmittely", None)
    protocol._receive(sessions[1], "warm", "Lämmittely", None)
    queued.clear()
    sessions = sessions[2:]

    def first_messages() -> None:
        for n, session in enumerate(sessions):
            protocol._receive(session, "first", f"Ensimmäinen viesti {n}", None)

    web = _measured(len(sessions), first_messages)

    half = len(queued) // 2
    one_by_one, batched = queued[:half], queued[half:]
    alone = _measured(len(one_by_one), lambda: _in_batches(one_by_one, 1, changes.dispatch_many))
    together_round = getattr(changes, "dispatch_in_rounds", changes.dispatch_many)
    batch_handlers = _count_handlers(changes)
    together = _measured(len(batched), lambda: _in_batches(batched, args.batch, together_round))
    together["by_handler"] = batch_handlers.per(len(batched))
    later.clear()
    replies = _replies(sessions, _agent)
    # The worker's part of the replies (their report facts), in batches.
    reply_handlers = _count_handlers(changes)
    reply_worker = _measured(
        len(later), lambda: _in_batches(later, args.batch, changes.dispatch_later)
    )
    reply_worker["by_handler"] = reply_handlers.per(max(1, len(later)))

    # 4. A later message on each chat, after the agent's reply (who now
    # follows the ticket and hears of it): the web process's part, then the
    # worker's in batches.
    queued.clear()
    sessions = [services.session_for(widget, s.visitor_token) for s in sessions]

    def later_messages() -> None:
        for n, session in enumerate(sessions):
            protocol._receive(session, "later", f"Toinen viesti {n}", None)

    later_web = _measured(len(sessions), later_messages)
    later_handlers = _count_handlers(changes)
    later_worker = _measured(len(queued), lambda: _in_batches(queued, args.batch, together_round))
    later_worker["by_handler"] = later_handlers.per(len(queued))

    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "load_average": round(os.getloadavg()[0], 1),
        "new_chat_tickets": len(sessions),
        "web_process_per_first_message": web,
        "worker_per_change_one_task_each": alone,
        f"worker_per_change_batches_of_{args.batch}": together,
        "agents_process_per_reply": replies,
        f"worker_per_reply_batches_of_{args.batch}": reply_worker,
        "web_process_per_later_message": later_web,
        f"worker_per_later_message_batches_of_{args.batch}": later_worker,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = f"chat-new-tickets-{datetime.now(UTC):%Y-%m-%d}{'-' + args.label if args.label else ''}"
    (out / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


class _HandlerCounts:
    """Statements and CPU seconds of each change handler, by module."""

    def __init__(self) -> None:
        self.statements: dict[str, int] = {}
        self.cpu: dict[str, float] = {}

    def wrap(self, handler):  # type: ignore[no-untyped-def]
        from django.db import connection

        name = handler.__module__.removeprefix("tiski.")

        def counted(call, *args):  # type: ignore[no-untyped-def]
            before, cpu = len(connection.queries_log), time.process_time()
            try:
                return call(*args)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
                done = len(connection.queries_log) - before
                self.statements[name] = self.statements.get(name, 0) + done

        def one(change):  # type: ignore[no-untyped-def]
            return counted(handler, change)

        many = getattr(handler, "handle_many", None)
        if many is not None:
            one.handle_many = lambda items: counted(many, items)  # type: ignore[attr-defined]
        one.__module__ = handler.__module__
        one.__qualname__ = getattr(handler, "__qualname__", name)
        return one

    def per(self, n: int) -> dict:
        return {
            name: {
                "statements": round(self.statements[name] / n, 2),
                "cpu_ms": round(1000 * self.cpu[name] / n, 2),
            }
            for name in sorted(self.statements, key=lambda k: -self.cpu[k])
        }


def _count_handlers(changes) -> _HandlerCounts:  # type: ignore[no-untyped-def]
    """From here on every dispatch's handlers are counted in a fresh tally."""
    counts = _HandlerCounts()
    original = getattr(changes._handlers, "original", changes._handlers)

    def handlers(paths):  # type: ignore[no-untyped-def]
        return tuple(counts.wrap(h) for h in original(paths))

    handlers.original = original  # type: ignore[attr-defined]
    changes._handlers = handlers
    return counts


def _replies(sessions: list, agent_id: int) -> dict:
    """One agent reply on each chat's ticket, the visitor counted as there."""
    from django.utils import timezone

    from tiski.accounts.models import User
    from tiski.connectors.routes import reply_channel
    from tiski.connectors.webchat.models import ChatSession
    from tiski.tickets import actions, changes
    from tiski.tickets.models import MessageKind, Ticket, Via

    ChatSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
        open_sockets=1, last_seen=timezone.now()
    )
    ticket_ids = list(
        ChatSession.objects.filter(pk__in=[s.pk for s in sessions]).values_list(
            "ticket_id", flat=True
        )
    )
    agent = User.objects.get(pk=agent_id)

    def one(ticket_id: int, n: int) -> None:
        ticket = Ticket.objects.get(pk=ticket_id)
        channel, meta = reply_channel(ticket)
        actions.add_message(
            ticket,
            kind=MessageKind.PUBLIC,
            actor=agent,
            via=Via.AGENT,
            text=f"Vastaus {n}",
            channel=channel,
            meta=meta or None,
        )

    one(ticket_ids[0], 0)  # warm-up
    ticket_ids = ticket_ids[1:]
    counts = _count_handlers(changes)

    def all_replies() -> None:
        for n, ticket_id in enumerate(ticket_ids):
            one(ticket_id, n)

    result = _measured(len(ticket_ids), all_replies)
    result["by_handler"] = counts.per(len(ticket_ids))
    return result


def _measured(n: int, run: Callable[[], object]) -> dict:
    """Statements, CPU seconds of this process and wall time of ``run()``,
    each per one of its ``n`` items (every statement counted, BEGIN too)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return _per(max(1, n), len(queries.captured_queries), cpu, wall)


def _in_batches(calls: list[list[dict]], size: int, handle: Callable[[list], None]) -> None:
    """The queued calls' changes handed to ``handle`` ``size`` calls at a time,
    as a worker takes the calls waiting in its queue."""
    from tiski.tickets import changes

    for start in range(0, len(calls), size):
        handle(
            [
                changes.TicketChange.from_data(item)
                for data in calls[start : start + size]
                for item in data
            ]
        )


def _per(n: int, statements: int, cpu: float, wall: float) -> dict:
    return {
        "n": n,
        "statements": round(statements / n, 1),
        "cpu_ms": round(1000 * cpu / n, 2),
        "wall_ms": round(1000 * wall / n, 2),
    }


if __name__ == "__main__":
    main()
