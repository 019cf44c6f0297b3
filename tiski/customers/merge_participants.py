"""Contact merge participants: the apps whose rows point at contacts.

The customers app knows contacts, identities and organisations, and
nothing above them. Every app that keeps rows pointing at a contact
(tickets: requesters, CCs, message authors; phone: calls) registers a
participant here from its ``AppConfig.ready()``. A contact merge asks each
participant, in registration order, to repoint its rows from the duplicate
to the kept contact through that app's own write path, and stores what it
moved, under the participant's own keys, in ``ContactMerge.moved``; undo
hands the same keys back to the same participant.

The keys are top-level in ``moved`` (``tickets``, ``ccs``, ``messages``,
``calls``, ...), as merge records always stored them, so records written
before the registry existed undo the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Contact

# merge(source, target, actor=...) -> what moved, as JSON values under the participant's keys
MergeHook = Callable[..., dict[str, Any]]
# undo(source, target, moved, actor=...): move back what is still where the merge left it
UndoHook = Callable[..., None]


@dataclass(frozen=True)
class Participant:
    name: str
    keys: tuple[str, ...]
    merge: MergeHook
    undo: UndoHook


_participants: dict[str, Participant] = {}


def register(name: str, *, keys: tuple[str, ...], merge: MergeHook, undo: UndoHook) -> None:
    """Take part in contact merges; registering the same name again replaces it."""
    taken = {
        key: other.name
        for other in _participants.values()
        if other.name != name
        for key in other.keys
    }
    clash = sorted(key for key in keys if key in taken or key in OWN_KEYS)
    if clash:
        raise ValueError(f"contact merge participant {name}: keys {clash} are taken")
    _participants[name] = Participant(name=name, keys=tuple(keys), merge=merge, undo=undo)


def participants() -> list[Participant]:
    return list(_participants.values())


def merge_all(source: Contact, target: Contact, *, actor: Any) -> dict[str, Any]:
    """Every participant's rows moved from ``source`` to ``target``; what moved, by key."""
    moved: dict[str, Any] = {}
    for participant in participants():
        found = participant.merge(source, target, actor=actor)
        unknown = set(found) - set(participant.keys)
        if unknown:
            raise ValueError(f"{participant.name} returned undeclared keys {sorted(unknown)}")
        moved.update(found)
    return moved


def undo_all(source: Contact, target: Contact, moved: dict[str, Any], *, actor: Any) -> None:
    """Hand each participant its keys of a merge record, in reverse order."""
    for participant in reversed(participants()):
        mine = {key: moved[key] for key in participant.keys if key in moved}
        participant.undo(source, target, mine, actor=actor)


# Keys the customers app keeps for itself in ``moved``.
OWN_KEYS = frozenset({"identities", "target_filled", "dropped_identities"})
