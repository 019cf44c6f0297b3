"""Contact merge repoints other apps' rows only through the participants they register."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tiski.connectors.phone.models import Call, PhoneLine
from tiski.customers import merge_participants
from tiski.customers.merge import merge_contacts, undo_merge
from tiski.customers.models import Contact
from tiski.tickets import actions, changes
from tiski.tickets.models import Via

pytestmark = pytest.mark.django_db

CUSTOMERS = Path(__file__).resolve().parents[2] / "tiski" / "customers"


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("name", ["merge.py", "merge_participants.py", "timeline.py"])
def test_merge_and_timeline_import_nothing_above_the_domain(name):
    ground_and_domain = ("core", "calendars", "env", "accounts", "customers", "tickets")
    above = {
        module
        for module in _imported_modules(CUSTOMERS / name)
        if module.startswith("tiski.") and module.split(".")[1] not in ground_and_domain
    }
    assert above == set()


def test_tickets_and_phone_take_part_in_that_order():
    names = [p.name for p in merge_participants.participants()]
    assert names.index("tickets") < names.index("phone")


def test_a_participant_cannot_take_anothers_keys():
    with pytest.raises(ValueError, match="taken"):
        merge_participants.register(
            "thief", keys=("calls",), merge=lambda *a, **k: {}, undo=lambda *a, **k: None
        )
    with pytest.raises(ValueError, match="taken"):
        merge_participants.register(
            "thief", keys=("identities",), merge=lambda *a, **k: {}, undo=lambda *a, **k: None
        )
    assert "thief" not in [p.name for p in merge_participants.participants()]


def test_a_registered_participant_gets_the_merge_and_its_own_keys_back(make_contact):
    """A new app joins contact merges by registering; its record keys come back on undo."""
    calls: list[tuple] = []

    def merge(source, target, *, actor):
        calls.append(("merge", source.pk, target.pk))
        return {"widgets": [source.pk]}

    def undo(source, target, moved, *, actor):
        calls.append(("undo", source.pk, target.pk, moved))

    merge_participants.register("widgets", keys=("widgets",), merge=merge, undo=undo)
    try:
        kept, duplicate = make_contact(), make_contact()
        duplicate_id = duplicate.pk
        record = merge_contacts(duplicate, kept, actor=None)
        assert record.moved["widgets"] == [duplicate_id]
        undo_merge(record, actor=None)
    finally:
        merge_participants._participants.pop("widgets")
    assert calls == [
        ("merge", duplicate_id, kept.pk),
        ("undo", duplicate_id, kept.pk, {"widgets": [duplicate_id]}),
    ]


def test_ticket_rows_move_through_the_tickets_write_path_and_are_announced(
    make_contact, make_ticket, django_capture_on_commit_callbacks, settings
):
    """Each ticket the merge touches is announced once after commit: requester, CC, author."""
    seen: list[changes.TicketChange] = []
    kept = make_contact(name="Liisa")
    duplicate = make_contact(name="Liisa L.")
    requested = make_ticket(requester=duplicate)
    copied = make_ticket()
    actions.add_ccs(copied, [duplicate], actor=None, via=Via.SYSTEM)
    line = PhoneLine.objects.create(name="Vaihde", number="+358201234567")
    call = Call.objects.create(line=line, call_id="c1", contact=duplicate)

    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tests.customers.test_merge_participants.remember"]
    _SEEN.clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record = merge_contacts(duplicate, kept, actor=None)
        seen = list(_SEEN)
    finally:
        changes._handlers.cache_clear()
    assert sorted(change.ticket_id for change in seen) == sorted([requested.pk, copied.pk])
    (on_requested,) = [c for c in seen if c.ticket_id == requested.pk]
    assert "requester" in on_requested.fields
    call.refresh_from_db()
    assert call.contact == kept
    assert record.moved["calls"] == [call.pk]
    assert record.moved["tickets"] == [requested.pk]
    assert Contact.objects.filter(pk=record.source_id).count() == 0


_SEEN: list[changes.TicketChange] = []


def remember(change: changes.TicketChange) -> None:
    _SEEN.append(change)
