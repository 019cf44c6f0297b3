from __future__ import annotations

from collections.abc import Callable

from celery import shared_task

from tiski.core.task_batches import taken_calls

from . import changes, routing

# Waiting calls of `handle_changes` taken with one (each usually one change):
# at 17 new chats a second a worker finds dozens waiting; a few hundred still
# fit one round of the handlers' bulk statements (their id lists) comfortably.
WAITING_CALLS_PER_BATCH = 200


@shared_task(name="tiski.tickets.hand_over_absences")
def hand_over_absences() -> int:
    return routing.hand_over_absences()


@shared_task(name=changes.HANDLE_LATER_TASK)
def handle_changes_later(data: list[dict]) -> int:
    """The worker handlers (report facts) of single changes the desk, the API
    and the agents' replies made (`changes.handle_later`), with the calls
    waiting behind this one: one bulk round for all of them."""
    return _with_waiting_calls(
        changes.HANDLE_LATER_TASK, changes.HANDLE_LATER_QUEUE, data, changes.dispatch_later
    )


@shared_task(name=changes.HANDLE_CHANGES_TASK)
def handle_changes(data: list[dict]) -> int:
    """The ticket-change handlers for changes a busy web process handed off
    (`changes.handed_off`); the number of changes handled.

    The calls waiting behind this one in the ``changes`` queue are handled
    with it (`core.task_batches`): every handler once for all of them, the
    bulk forms (SLA, rules, search, reports, the push) in one call, so a
    queue filled by many web chats costs a few statements per batch rather
    than per change (a ticket that comes twice waits for the next round:
    `changes.dispatch_in_rounds`). They are acknowledged once handled."""
    return _with_waiting_calls(
        changes.HANDLE_CHANGES_TASK,
        changes.HANDLE_CHANGES_QUEUE,
        data,
        changes.dispatch_in_rounds,
    )


def _with_waiting_calls(
    task: str,
    queue: str,
    data: list[dict],
    handle: Callable[[list[changes.TicketChange]], None],
) -> int:
    """``handle`` this call's changes and those of the calls of ``task``
    waiting behind it in ``queue``; how many changes."""
    handed = [changes.TicketChange.from_data(item) for item in data]
    waiting_calls = taken_calls(task, queue, WAITING_CALLS_PER_BATCH)
    with waiting_calls as waiting:
        for (more,) in waiting:
            handed += [changes.TicketChange.from_data(item) for item in more]
        handle(handed)
    return len(handed)
