"""More waiting calls of one task, taken off the broker to be done as one.

A task that is queued many times a second (the ticket-change handlers a
busy web chat hands off: one call per visitor message) costs a worker the
same fixed work on every call: the SLA policies read again, one statement
per table per call where one per batch would do. The task's first call
takes the calls waiting behind it in its queue here and handles all of them
together; the worker then finds the queue empty and has nothing to repeat.

The calls are taken as the worker itself takes a task (``basic_get``
without acknowledging) and acknowledged only when the block ends
(`taken_calls`): a worker that dies in between leaves them unacknowledged,
and the broker gives them back after its visibility timeout, as it does the
worker's own task (``CELERY_TASK_ACKS_LATE``). If the block raises, they are
put back at once. Nothing is taken where tasks run in place (no broker).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import tasks

log = logging.getLogger(__name__)


@contextmanager
def taken_calls(name: str, queue: str, limit: int) -> Iterator[list[tuple[Any, ...]]]:
    """The positional arguments of up to ``limit`` calls of task ``name``
    waiting in ``queue``, oldest first; acknowledged when the block ends.

    A message of another task in the queue stops the taking and goes back.
    A broker that cannot be reached gives an empty list: the caller's own
    call is still handled."""
    if tasks.runs_in_place() or limit <= 0:
        yield []
        return
    try:
        # The app's pool: a connection per call would cost more than an
        # empty queue's answer (a new Redis connection and channel each).
        connection = tasks.app.pool.acquire(block=True)
        channel = connection.default_channel
    except Exception:
        log.warning("could not reach the broker to take waiting %s calls", name, exc_info=True)
        yield []
        return
    taken: list[Any] = []
    calls: list[tuple[Any, ...]] = []
    with connection:  # back to the pool
        try:
            while len(taken) < limit:
                message = channel.basic_get(queue, no_ack=False)
                if message is None:
                    break
                if message.headers.get("task") != name:
                    message.reject(requeue=True)
                    break
                taken.append(message)
                args, _kwargs, _embed = message.decode()
                calls.append(tuple(args))
        except Exception:
            log.warning("could not take waiting %s calls", name, exc_info=True)
            _give_back(taken)
            taken, calls = [], []
        try:
            yield calls
        except BaseException:
            _give_back(taken)
            raise
        for message in taken:
            message.ack()


def _give_back(messages: list[Any]) -> None:
    for message in messages:
        try:
            message.reject(requeue=True)
        except Exception:  # the broker restores it after its visibility timeout
            log.warning("could not give a taken task back", exc_info=True)
