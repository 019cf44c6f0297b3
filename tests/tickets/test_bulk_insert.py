"""insert_rows writes new rows from plain values as bulk_create writes instances."""

from __future__ import annotations

from datetime import UTC, datetime

from tiski.core.bulk import insert_rows
from tiski.rules.models import RuleFiring

COMPARED = (
    "rule_kind",
    "rule_id",
    "rule_name",
    "ticket_id",
    "fired_at",
    "effective",
    "event_ids",
    "change_count",
    "details",
    "signature",
    "ticket_updated_at",
    "summary",
)


def _values(tickets):
    at = datetime(2025, 3, 10, 7, 0, 0, 123456, tzinfo=UTC)
    return [
        {
            "rule_kind": "time",
            "rule_id": 7 + n,
            "rule_name": f"Sääntö ”{n}” \\ 'lainaus' {{}}",
            "ticket_id" if n % 2 else "ticket": ticket.pk if n % 2 else ticket,
            "fired_at": at,
            "effective": bool(n % 2),
            "event_ids": [n, n + 1] if n else [],
            "change_count": n,
            "details": {"skipped": [f'ei "{n}"', "ä\\ö"], "emails": [], "n": None},
            "signature": {"fields": {"status": ["pending", "solved"]}} if n else {},
            "ticket_updated_at": at if n else None,
            # "summary" left out: its default, as on a new instance
        }
        for n, ticket in enumerate(tickets)
    ]


def _stored(since: int) -> list[tuple]:
    return list(RuleFiring.objects.filter(pk__gt=since).order_by("pk").values_list(*COMPARED))


def test_insert_rows_stores_what_bulk_create_stores(make_ticket, django_assert_max_num_queries):
    """Text with quotes and backslashes, JSON, nulls, times to the microsecond and
    defaults come back the same as from instances saved by bulk_create."""
    tickets = [make_ticket(subject=f"Asia {n}") for n in range(4)]
    rows = _values(tickets)
    RuleFiring.objects.bulk_create([RuleFiring(**{k: v for k, v in row.items()}) for row in rows])
    expected = _stored(0)
    last = RuleFiring.objects.order_by("-pk").values_list("pk", flat=True).first()
    with django_assert_max_num_queries(1):
        insert_rows(RuleFiring, rows)
    assert _stored(last) == expected
    assert len(expected) == 4 and expected[0][-1] == ""


def test_insert_rows_in_batches(make_ticket, django_assert_num_queries, db):
    tickets = [make_ticket() for _ in range(5)]
    insert_rows(RuleFiring, _values(tickets), batch_size=2)
    assert sorted(RuleFiring.objects.values_list("ticket_id", flat=True)) == sorted(
        t.pk for t in tickets
    )
    with django_assert_num_queries(0):
        insert_rows(RuleFiring, [])


def test_insert_rows_returns_the_new_ids_in_the_order_of_the_rows(make_ticket, db):
    tickets = [make_ticket() for _ in range(5)]
    rows = _values(tickets)
    ids = insert_rows(RuleFiring, rows, batch_size=2, returning=True)
    stored = dict(RuleFiring.objects.filter(pk__in=ids).values_list("pk", "rule_id"))
    assert [stored[pk] for pk in ids] == [row["rule_id"] for row in rows]
    assert insert_rows(RuleFiring, rows[:1]) == []  # not asked for
