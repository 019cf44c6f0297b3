"""Each contact's counted tickets of all time (`models.ContactTotals`): the
bounds the customers page ranks its contact lists by.

A ticket that is not merged adds one ticket, its reopen count and, when a
first reply, next reply or resolution target was breached, one breached
ticket to its requester's totals. `facts.refresh` moves each rewrite's
difference (`delta`, `apply`), `rebuild` recounts from the facts and
`verify` diffs the two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from .models import ContactTotals, TicketFact

MEASURES = ("tickets", "reopened", "breached")
FACT_COLUMNS = (
    "requester_id",
    "merged",
    "reopen_count",
    "fr_breached",
    "nr_breached",
    "res_breached",
)
BREACHED = Q(fr_breached=True) | Q(nr_breached=True) | Q(res_breached=True)
BATCH = 500


def _contribution(row: Mapping[str, Any] | None) -> dict[str, int] | None:
    if row is None or row["merged"] or row["requester_id"] is None:
        return None
    breached = bool(row["fr_breached"] or row["nr_breached"] or row["res_breached"])
    return {"tickets": 1, "reopened": row["reopen_count"] or 0, "breached": int(breached)}


def delta(
    old: Iterable[Mapping[str, Any] | None], new: Iterable[Mapping[str, Any]]
) -> dict[int, Counter]:
    """Per contact, how its totals change when fact rows ``old`` become ``new``."""
    change: dict[int, Counter] = defaultdict(Counter)
    for rows, sign in ((new, 1), (old, -1)):
        for row in rows:
            counts = _contribution(row)
            if counts is not None:
                for measure, n in counts.items():
                    change[row["requester_id"]][measure] += sign * n
    return {contact: c for contact, c in change.items() if any(c.values())}


def apply(change: Mapping[int, Counter]) -> None:
    """Add the changes (inside the caller's transaction): one upsert per
    batch that adds to the stored totals, contacts in id order so that two
    writers lock them in the same order."""
    if not change:
        return
    table = connection.ops.quote_name(ContactTotals._meta.db_table)
    contacts = sorted(change)
    for start in range(0, len(contacts), BATCH):
        chunk = contacts[start : start + BATCH]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
        params: list[int] = []
        for contact in chunk:
            params += [contact, *(change[contact][m] for m in MEASURES)]
        sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (contact_id, {', '.join(MEASURES)}) VALUES {values}"
                f" ON CONFLICT (contact_id) DO UPDATE SET {sets}",
                params,
            )


def recount(facts: Any = None) -> dict[int, tuple[int, int, int]]:
    """Every contact's totals as the facts give them now (``facts``: a
    migration's model)."""
    rows = (
        (TicketFact.objects if facts is None else facts.objects)
        .filter(merged=False, requester_id__isnull=False)
        .values("requester_id")
        .annotate(t=Count("pk"), r=Sum("reopen_count"), b=Count("pk", filter=BREACHED))
        .order_by()
        .values_list("requester_id", "t", "r", "b")
    )
    return {contact: (t, r or 0, b) for contact, t, r, b in rows}


def rebuild(facts: Any = None, model: Any = None) -> int:
    """Replace the totals with a recount; how many rows were written."""
    model = model or ContactTotals
    counted = recount(facts)
    rows = [
        model(contact_id=contact, tickets=t, reopened=r, breached=b)
        for contact, (t, r, b) in counted.items()
    ]
    with transaction.atomic():
        model.objects.all().delete()
        model.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def verify() -> Iterator[str]:
    """Every contact whose stored totals differ from a recount."""
    want = recount()
    have = {
        contact: (t, r, b)
        for contact, t, r, b in ContactTotals.objects.values_list("contact_id", *MEASURES)
        if t or r or b
    }
    for contact in sorted(set(want) | set(have)):
        if want.get(contact) != have.get(contact):
            yield (
                f"contact totals {contact}: stored {have.get(contact)},"
                f" recounted {want.get(contact)}"
            )
