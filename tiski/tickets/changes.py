"""What happened to a ticket in one action, announced once after commit.

Each public action in `tickets.actions` collects what it did into one
`TicketChange` per ticket (an action that calls others, like create_ticket
calling add_message, still yields one change). After the transaction
commits, the change goes to every handler named in
``settings.TISKI_TICKET_CHANGE_HANDLERS``: the live push, the SLA clock,
the rules engine. Handlers are called explicitly, by dotted path, not
through Django signals, so the order is visible in settings and one failing
handler never stops the others. A handler may offer a bulk form as its
``handle_many`` attribute, used when changes are dispatched together
(`batched`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from .models import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketChange:
    ticket_id: int
    via: str
    actor_id: int | None
    created: bool = False
    # message ids added in this action, with their kinds, in order
    messages: tuple[tuple[int, str], ...] = ()
    # field -> (old, new) as the events store them
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    # SLA events written in this action ("sla_warning", "sla_breach"), in order
    sla_events: tuple[str, ...] = ()

    @property
    def message_kinds(self) -> set[str]:
        return {kind for _id, kind in self.messages}

    @property
    def last_message_id(self) -> int | None:
        return self.messages[-1][0] if self.messages else None

    def as_data(self) -> dict:
        """Plain JSON, for a task that runs the handlers in a worker."""
        return {
            "ticket_id": self.ticket_id,
            "via": self.via,
            "actor_id": self.actor_id,
            "created": self.created,
            "messages": [list(m) for m in self.messages],
            "fields": {name: list(pair) for name, pair in self.fields.items()},
            "tags_added": list(self.tags_added),
            "tags_removed": list(self.tags_removed),
            "sla_events": list(self.sla_events),
        }

    @classmethod
    def from_data(cls, data: dict) -> TicketChange:
        return cls(
            ticket_id=data["ticket_id"],
            via=data["via"],
            actor_id=data["actor_id"],
            created=data["created"],
            messages=tuple((int(mid), kind) for mid, kind in data["messages"]),
            fields={name: (old, new) for name, (old, new) in data["fields"].items()},
            tags_added=tuple(data["tags_added"]),
            tags_removed=tuple(data["tags_removed"]),
            sla_events=tuple(data["sla_events"]),
        )


@dataclass
class _Builder:
    ticket_id: int
    via: str
    actor_id: int | None
    created: bool = False
    messages: list[tuple[int, str]] = field(default_factory=list)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    sla_events: list[str] = field(default_factory=list)

    def freeze(self) -> TicketChange:
        return TicketChange(
            ticket_id=self.ticket_id,
            via=self.via,
            actor_id=self.actor_id,
            created=self.created,
            messages=tuple(self.messages),
            fields=dict(self.fields),
            tags_added=tuple(self.tags_added),
            tags_removed=tuple(self.tags_removed),
            sla_events=tuple(self.sla_events),
        )


_collecting: ContextVar[dict[int, _Builder] | None] = ContextVar("ticket_changes", default=None)
_deferred: ContextVar[set[int] | None] = ContextVar("deferred_ticket_changes", default=None)
_batched: ContextVar[list[TicketChange] | None] = ContextVar("batched_ticket_changes", default=None)
# While handlers run: the changes' messages read so far, by id (`message`).
_messages: ContextVar[dict[int, Message | None] | None] = ContextVar(
    "ticket_change_messages", default=None
)


@contextmanager
def deferred() -> Iterator[set[int]]:
    """Bulk work (an import of years of mail): note which tickets changed
    instead of running every handler for every change.

    The caller then runs `catch_up(ids)` once, which hands the ids to the
    bulk handlers (SLA refresh, search index). Per-change side effects such
    as acknowledgements, rules and routing deliberately do not run: imported
    history must not act as if it had just arrived.
    """
    ids: set[int] = set()
    token = _deferred.set(ids)
    try:
        yield ids
    finally:
        _deferred.reset(token)


def catch_up(ticket_ids: set[int] | list[int]) -> None:
    ids = sorted(ticket_ids)
    if not ids:
        return
    for path in settings.TISKI_TICKET_BULK_HANDLERS:
        try:
            import_string(path)(ids)
        except Exception:
            log.exception("bulk ticket handler %s failed", path)


@contextmanager
def batched() -> Iterator[None]:
    """Hand the changes committed inside the block to the handlers at its end.

    For work that changes many tickets in a row (a time-rule pass over a
    backlog): a handler with a bulk form (``handle_many``, e.g. the SLA
    refresh) takes them all in one call, the others one by one as usual.
    Unlike `deferred`, every handler still runs for every change. Changes
    the handlers make themselves are dispatched straight away.
    """
    if _batched.get() is not None:
        yield
        return
    pending: list[TicketChange] = []
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
        # What was committed is handled even if the block failed later.
        dispatch_many(pending)


@contextmanager
def handed_off() -> Iterator[None]:
    """As `batched`, but the handlers of the changes committed inside the
    block run in a worker (a Celery task), not in this process.

    For a web process that must answer many visitors at once (the web
    chat): SLA, rules, search, reports, notifications and webhooks are most
    of a message's cost, and here they would hold the process's one
    interpreter (the GIL) while other chats wait for their acks. Only the
    handlers in ``TISKI_TICKET_CHANGE_LIVE_HANDLERS`` (the desk's push: the
    agent sees the message at once) run here and now; the worker then runs
    the whole list in order, the push again among them, so the desk re-reads
    the SLA deadline the worker has just set. Where tasks run in place (the
    embedded default, tests) this is `batched`: every handler once, here.
    """
    if _batched.get() is not None:
        yield
        return
    pending: list[TicketChange] = []
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
        hand_off(pending)


def hand_off(changes: list[TicketChange]) -> None:
    """The live handlers now, every handler in a worker; see `handed_off`."""
    from tiski.core.tasks import enqueue, runs_in_place

    if not changes:
        return
    if runs_in_place():
        dispatch_many(changes)
        return
    for handler in _handlers(tuple(getattr(settings, "TISKI_TICKET_CHANGE_LIVE_HANDLERS", ()))):
        for change in changes:
            _call(handler, change)
    try:
        enqueue(HANDLE_CHANGES_TASK, [change.as_data() for change in changes])
    except Exception:
        # The broker is down: the changes are committed and must still be
        # handled, so here, late, rather than never.
        log.warning("could not queue the ticket-change handlers; running them here", exc_info=True)
        dispatch_many(changes)


# The task (tickets/tasks.py) that runs `dispatch_many` in a worker, by name,
# and its own queue (settings.CELERY_TASK_ROUTES).
HANDLE_CHANGES_TASK = "tiski.tickets.handle_changes"
HANDLE_CHANGES_QUEUE = "changes"
# The task running the worker handlers of single changes (`handle_later`), on
# a queue of its own so neither task's waiting calls cut the other's batches.
HANDLE_LATER_TASK = "tiski.tickets.handle_changes_later"
HANDLE_LATER_QUEUE = "changes_later"


def _dispatch_committed(change: TicketChange) -> None:
    pending = _batched.get()
    if pending is None:
        dispatch(change)
    else:
        pending.append(change)


@contextmanager
def collecting() -> Iterator[None]:
    """Collect changes; the outermost block schedules their dispatch on commit."""
    if _collecting.get() is not None:
        yield
        return
    token = _collecting.set({})
    try:
        yield
        builders = _collecting.get() or {}
        deferred_ids = _deferred.get()
        for builder in builders.values():
            if deferred_ids is not None:
                deferred_ids.add(builder.ticket_id)
                continue
            change = builder.freeze()
            transaction.on_commit(lambda change=change: _dispatch_committed(change))
    finally:
        _collecting.reset(token)


def _builder(ticket_id: int, via: str, actor_id: int | None) -> _Builder | None:
    builders = _collecting.get()
    if builders is None:
        return None
    if ticket_id not in builders:
        builders[ticket_id] = _Builder(ticket_id=ticket_id, via=via, actor_id=actor_id)
    return builders[ticket_id]


def note_touched(ticket_id: int, *, via: str, actor_id: int | None) -> None:
    """Something worth a live refresh happened, but no field or message changed."""
    _builder(ticket_id, via, actor_id)


def note_created(ticket_id: int, *, via: str, actor_id: int | None) -> None:
    builder = _builder(ticket_id, via, actor_id)
    if builder:
        builder.created = True


def note_message(
    ticket_id: int, message_id: int, kind: str, *, via: str, actor_id: int | None
) -> None:
    builder = _builder(ticket_id, via, actor_id)
    if builder:
        builder.messages.append((message_id, kind))


def note_field(
    ticket_id: int, name: str, old: str, new: str, *, via: str, actor_id: int | None
) -> None:
    builder = _builder(ticket_id, via, actor_id)
    if builder:
        first_old = builder.fields.get(name, (old, new))[0]
        builder.fields[name] = (first_old, new)


def note_tag(ticket_id: int, name: str, *, added: bool, via: str, actor_id: int | None) -> None:
    builder = _builder(ticket_id, via, actor_id)
    if builder:
        (builder.tags_added if added else builder.tags_removed).append(name)


def note_sla(ticket_id: int, kind: str, *, via: str, actor_id: int | None) -> None:
    """A service-level warning or breach: rules hear of it through the change."""
    builder = _builder(ticket_id, via, actor_id)
    if builder:
        builder.sla_events.append(kind)


@lru_cache(maxsize=8)
def _handlers(paths: tuple[str, ...]) -> tuple[Callable[[TicketChange], None], ...]:
    handlers = []
    for path in paths:
        try:
            handlers.append(import_string(path))
        except ImportError:
            # `tiski check` reports this as an error (checks.py); at run time a
            # broken path must not stop the other handlers.
            log.exception("ticket change handler %s cannot be imported", path)
    return tuple(handlers)


def message(message_id: int) -> Message | None:
    """A message of a change, with its ticket, requester and author; within
    one dispatch read once for every handler that asks (each reply channel
    reads a public reply to see whether it is its own: five reads of one
    message for a reply in a chat)."""
    from .models import Message

    remembered = _messages.get()
    if remembered is not None and message_id in remembered:
        return remembered[message_id]
    found = (
        Message.objects.select_related("ticket", "ticket__requester", "author_user")
        .filter(pk=message_id)
        .first()
    )
    if remembered is not None:
        remembered[message_id] = found
    return found


@contextmanager
def _messages_read_once() -> Iterator[None]:
    token = _messages.set({})
    try:
        yield
    finally:
        _messages.reset(token)


def dispatch(change: TicketChange) -> None:
    """Every handler for one change, in order; those in
    ``TISKI_TICKET_CHANGE_WORKER_HANDLERS`` in a worker where there is one
    (`handle_later`). Batches (`batched`, `handed_off`, a worker's round) run
    every handler themselves: their bulk forms already share the work."""
    paths = tuple(settings.TISKI_TICKET_CHANGE_HANDLERS)
    later = _worker_paths(paths) if _has_worker() else ()
    now = tuple(path for path in paths if path not in later)
    with _messages_read_once():
        for handler in _handlers(now):
            _call(handler, change)
    if later:
        handle_later([change], _handlers(later))


def _worker_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Of ``paths``, those a single change leaves to a worker."""
    later = getattr(settings, "TISKI_TICKET_CHANGE_WORKER_HANDLERS", ())
    return tuple(path for path in paths if path in later)


def _has_worker() -> bool:
    from tiski.core.tasks import runs_in_place

    return not runs_in_place()


def handle_later(changes: list[TicketChange], handlers: tuple) -> None:
    """Queue ``changes`` for the worker handlers (`HANDLE_LATER_TASK`); with
    the broker down, run them here, late rather than never."""
    from tiski.core.tasks import enqueue

    try:
        enqueue(HANDLE_LATER_TASK, [change.as_data() for change in changes])
    except Exception:
        log.warning("could not queue the worker handlers; running them here", exc_info=True)
        with _messages_read_once():
            _dispatch_all(changes, handlers)


def dispatch_later(changes: list[TicketChange]) -> None:
    """The worker's side of `handle_later`: the worker handlers only, for all
    the changes, in rounds where no ticket comes twice (`dispatch_in_rounds`)."""
    handlers = _handlers(_worker_paths(tuple(settings.TISKI_TICKET_CHANGE_HANDLERS)))
    for round_ in _rounds(changes):
        with _messages_read_once():
            _dispatch_all(round_, handlers)


def dispatch_many(changes: list[TicketChange]) -> None:
    """Every handler, in order, for all the changes: bulk forms in one call."""
    if not changes:
        return
    with _messages_read_once():
        _dispatch_all(changes)


def _dispatch_all(changes: list[TicketChange], handlers: tuple | None = None) -> None:
    if handlers is None:
        handlers = _handlers(tuple(settings.TISKI_TICKET_CHANGE_HANDLERS))
    for handler in handlers:
        many = getattr(handler, "handle_many", None)
        if many is None:
            for change in changes:
                _call(handler, change)
            continue
        try:
            many(changes)
        except Exception:
            log.exception(
                "ticket change handler %s failed for %d changes",
                getattr(handler, "__qualname__", handler),
                len(changes),
            )


def dispatch_in_rounds(changes: list[TicketChange]) -> None:
    """`dispatch_many` for changes gathered from many actions (a worker's
    batch of handed-off changes), in rounds where no ticket comes twice.

    A ticket's later change (the visitor's second message) waits for the
    round after its earlier one, so every handler has seen the first before
    it sees the second, as when each was dispatched alone; the bulk forms
    take one change per ticket, as in a time-rule pass."""
    for round_ in _rounds(changes):
        dispatch_many(round_)


def _rounds(changes: list[TicketChange]) -> list[list[TicketChange]]:
    rounds: list[list[TicketChange]] = []
    seen: set[int] = set()
    for change in changes:
        if not rounds or change.ticket_id in seen:
            rounds.append([])
            seen = set()
        rounds[-1].append(change)
        seen.add(change.ticket_id)
    return rounds


def _call(handler: Callable[[TicketChange], None], change: TicketChange) -> None:
    try:
        handler(change)
    except Exception:  # one broken handler must not stop the others
        log.exception(
            "ticket change handler %s failed for ticket %s",
            getattr(handler, "__qualname__", handler),
            change.ticket_id,
        )
