"""Rewriting stored phone identities to E.164, merging the people that become one.

Written against a model registry (``apps``) rather than the model classes,
so the same function runs inside a data migration (historical models) and
from the ``normalise-phones`` command (live models, e.g. after changing
``TISKI_PHONE_REGION``). It uses no other app code than the pure
`phones.to_e164`.

When two contacts turn out to hold the same number ("040 123 4567" on one,
"+358401234567" on the other), the newer contact is merged into the older
one, recorded as a `ContactMerge` with the same ``moved`` shape
`merge.merge_contacts` writes, so `merge.undo_merge` (and the "Undo" button
on the contact) undoes it. Two differences from a merge by an agent: open
tickets change requester without a ticket event (historical models cannot
run the ticket actions; the merge record is the audit trail, as it is for
closed tickets in an agent's merge), and the duplicate identity row itself
is deleted, since only one row may hold the number; it is listed under
``dropped_identities`` and stays with the kept contact after an undo.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from .phones import to_e164

PHONE = "phone"


@dataclass
class Report:
    rewritten: int = 0
    merged: list[tuple[int, int]] = field(default_factory=list)  # (duplicate, kept)
    dropped: int = 0
    unparsable: list[str] = field(default_factory=list)


def normalise_phone_identities(apps, region: str | None = None) -> Report:  # type: ignore[no-untyped-def]
    Identity = apps.get_model("customers", "Identity")  # noqa: N806 - model classes
    report = Report()
    groups: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for pk, contact_id, value in (
        Identity.objects.filter(kind=PHONE).order_by("id").values_list("id", "contact_id", "value")
    ):
        e164 = to_e164(value, region)
        if e164 is None:
            report.unparsable.append(value)
            continue
        groups[e164].append((pk, contact_id, value))
    for e164, rows in groups.items():
        if len(rows) == 1 and rows[0][2] == e164:
            continue
        keep_contact = min(contact_id for _pk, contact_id, _value in rows)
        merges = {}
        for duplicate in sorted({c for _pk, c, _v in rows} - {keep_contact}):
            merges[duplicate] = _merge(apps, duplicate, keep_contact)
            report.merged.append((duplicate, keep_contact))
        # One row keeps the number: one already in E.164 if there is one, else the oldest.
        kept = min(rows, key=lambda row: (row[2] != e164, row[0]))
        for pk, contact_id, value in rows:
            if pk == kept[0]:
                continue
            Identity.objects.filter(pk=pk).delete()
            report.dropped += 1
            if contact_id in merges:
                record = merges[contact_id]
                record.moved.setdefault("dropped_identities", []).append(
                    {"id": pk, "kind": PHONE, "value": value}
                )
                record.save(update_fields=["moved"])
        if kept[2] != e164:
            Identity.objects.filter(pk=kept[0]).update(value=e164)
            report.rewritten += 1
    return report


def _merge(apps, source_id: int, target_id: int):  # type: ignore[no-untyped-def]
    """Merge contact ``source_id`` into ``target_id`` the way `merge.merge_contacts` records it."""
    Contact = apps.get_model("customers", "Contact")  # noqa: N806
    ContactMerge = apps.get_model("customers", "ContactMerge")  # noqa: N806
    Identity = apps.get_model("customers", "Identity")  # noqa: N806
    Ticket = apps.get_model("tickets", "Ticket")  # noqa: N806
    Message = apps.get_model("tickets", "Message")  # noqa: N806
    Call = apps.get_model("phone", "Call")  # noqa: N806
    through = Ticket.ccs.through
    source = Contact.objects.get(pk=source_id)
    target = Contact.objects.get(pk=target_id)
    moved = {
        "identities": list(Identity.objects.filter(contact=source).values_list("pk", flat=True)),
        "tickets": list(Ticket.objects.filter(requester=source).values_list("pk", flat=True)),
        "ccs": list(through.objects.filter(contact=source).values_list("ticket_id", flat=True)),
        "target_cc_before": list(
            through.objects.filter(contact=target).values_list("ticket_id", flat=True)
        ),
        "messages": list(
            Message.objects.filter(author_contact=source).values_list("pk", flat=True)
        ),
        "calls": list(Call.objects.filter(contact=source).values_list("pk", flat=True)),
        "target_filled": {},
    }
    snapshot = {
        "name": source.name,
        "name_source": source.name_source,
        "language": source.language,
        "organisation_id": source.organisation_id,
        "notes": source.notes,
        "created_at": source.created_at.isoformat(),
    }
    if not target.name and source.name:
        moved["target_filled"]["name"] = target.name
        moved["target_filled"]["name_source"] = target.name_source
        target.name, target.name_source = source.name, source.name_source
    if target.organisation_id is None and source.organisation_id is not None:
        moved["target_filled"]["organisation_id"] = None
        target.organisation_id = source.organisation_id
    target.save()
    Identity.objects.filter(pk__in=moved["identities"]).update(contact=target)
    Ticket.objects.filter(pk__in=moved["tickets"]).update(requester=target)
    for ticket_id in moved["ccs"]:
        through.objects.filter(ticket_id=ticket_id, contact=source).delete()
        requester_id = Ticket.objects.filter(pk=ticket_id).values_list("requester_id", flat=True)
        if requester_id.first() != target.pk and ticket_id not in moved["target_cc_before"]:
            through.objects.get_or_create(ticket_id=ticket_id, contact=target)
    Message.objects.filter(pk__in=moved["messages"]).update(author_contact=target)
    Call.objects.filter(pk__in=moved["calls"]).update(contact=target)
    source.delete()
    return ContactMerge.objects.create(
        target=target,
        source_id=source_id,
        source_snapshot=snapshot,
        moved=moved,
        actor=None,
        created_at=timezone.now(),
    )
