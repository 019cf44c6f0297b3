"""Settings-like lists kept in the web process between requests, until one changes.

Every desk page reads the same small tables: the ticket types, teams and
agents its selects offer, the priority labels, the team leads, the active
mailboxes, the custom fields of a type, the work-time switch, whether a phone
line can dial out. They change when an admin edits them, which is rare, yet
they were a third of the ticket page's queries, each costing more Python to
build than time in the database.

A process keeps what it read under the desk's *lists version*: a random token
on the one `DeskSettings` row, which every logged-in request reads anyway (the
middleware passes it to `request_memo.request_scope`). A save or delete of a
watched model writes a new token in the same transaction (`watch`, registered
by each app for its own models), so the change and the new version commit
together and every process reads its lists again on its first request after.
A token, not a counter: a rolled-back change (a failed save, every test) must
not leave a version number that the next change would reuse for other rows.

Writes that send no model signals (`bulk_create`, `QuerySet.update`, raw SQL)
call `changed()` themselves; as a safety net, an entry is read again after
`KEEP_SECONDS` whatever happened. Outside a request (tasks, commands) and
before the row exists, every call reads as `request_memo.remembered` does.

What is kept is shared by every request of the process: callers treat the
values as read-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import DeskSettings, new_lists_version
from .request_memo import lists_version, remembered

T = TypeVar("T")

KEEP_SECONDS = 60.0
# Per-user entries (a user's ready answers) grow with the agents; the whole
# store is dropped when it gets this large, which no real desk reaches.
MAX_ENTRIES = 5000

_entries: dict[str, tuple[str, float, Any]] = {}


def kept(key: str, read: Callable[[], T]) -> T:
    """``read()``'s value, read once per lists version in this process."""
    version = lists_version()
    if version is None:
        return remembered(key, read)
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] == version and now < entry[1]:
        return entry[2]
    value = read()
    if len(_entries) >= MAX_ENTRIES:
        _entries.clear()
    _entries[key] = (version, now + KEEP_SECONDS, value)
    return value


def clear() -> None:
    """Forget everything this process kept (tests start from nothing)."""
    _entries.clear()


def changed() -> None:
    """A watched table changed without a model signal: every process reads again."""
    DeskSettings.objects.filter(pk=1).update(lists_version=new_lists_version())


def watch(model: type[Model], *, fields: Iterable[str] = (), ignore: Iterable[str] = ()) -> None:
    """Change the lists version whenever ``model`` is saved or deleted.

    A save that names its columns (``update_fields``) leaves the version alone
    when none of them is in ``fields`` (the columns kept lists show, when
    given) or all of them are in ``ignore``: busy bookkeeping (a user's last
    login, a team's last routed agent, a mailbox's refreshed token) must not
    empty the lists with every new ticket.
    """
    shown, unshown = frozenset(fields), frozenset(ignore)
    uid = f"tiski-config-cache-{model._meta.label}"

    def matters(update_fields: Iterable[str] | None) -> bool:
        if update_fields is None:
            return True
        named = frozenset(update_fields)
        if shown and not shown & named:
            return False
        return not named <= unshown

    def saved(sender: type[Model], update_fields: Iterable[str] | None = None, **_: Any) -> None:
        if matters(update_fields):
            changed()

    def deleted(sender: type[Model], **_: Any) -> None:
        changed()

    post_save.connect(saved, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(deleted, sender=model, weak=False, dispatch_uid=uid)


def watch_many_to_many(through: type[Model]) -> None:
    """Change the lists version when rows are added to or removed from ``through``."""

    def relation_changed(sender: type[Model], action: str, **_: Any) -> None:
        if action in ("post_add", "post_remove", "post_clear"):
            changed()

    m2m_changed.connect(
        relation_changed,
        sender=through,
        weak=False,
        dispatch_uid=f"tiski-config-cache-{through._meta.label}",
    )
