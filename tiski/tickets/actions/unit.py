"""One transaction per action, and one announced change per ticket.

Every public action is wrapped in `ticket_action`; several actions that
make up one agent action (a reply with a ready answer, a side-panel save)
run inside one `unit_of_work`, so the after-change handlers (SLA, routing,
the live push, search, rules, mail) see one `TicketChange` per ticket and
run once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import transaction

from .. import changes

P = ParamSpec("P")
R = TypeVar("R")

_inside_unit: ContextVar[bool] = ContextVar("inside_ticket_unit_of_work", default=False)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One transaction for several actions, announced together after commit.

    A channel taking in a message (contact, ticket, message, CCs) uses it,
    and every action opens one. Actions nested inside skip savepoints of
    their own: if one raises, the exception leaves the whole block, which
    rolls back as one, so a savepoint per action would only cost a round
    trip each. Code that catches an action's error and carries on must call
    the action outside a unit of work (or in its own ``transaction.atomic``).
    """
    if _inside_unit.get():
        yield
        return
    with transaction.atomic(), changes.collecting():
        token = _inside_unit.set(True)
        try:
            yield
        finally:
            _inside_unit.reset(token)


def ticket_action(fn: Callable[P, R]) -> Callable[P, R]:
    """One transaction, and one TicketChange per ticket announced after commit."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _inside_unit.get():
            with transaction.atomic(savepoint=False):
                return fn(*args, **kwargs)
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper
