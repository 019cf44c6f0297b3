"""The phone app's part in a contact merge: calls follow the person.

Registered in `PhoneConfig.ready` as a `customers.merge_participants`
participant; a call is no ticket, so it has no events of its own (the
contact merge record is the audit trail).
"""

from __future__ import annotations

from typing import Any

from tiski.customers.models import Contact

from .models import Call

MERGE_KEYS = ("calls",)


def merge(source: Contact, target: Contact, *, actor: Any) -> dict[str, Any]:
    calls = list(Call.objects.filter(contact=source).values_list("pk", flat=True))
    Call.objects.filter(pk__in=calls).update(contact=target)
    return {"calls": calls}


def undo(source: Contact, target: Contact, moved: dict[str, Any], *, actor: Any) -> None:
    Call.objects.filter(pk__in=moved.get("calls", []), contact=target).update(contact=source)
