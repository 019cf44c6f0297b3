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
    assert insert_rows(RuleFiring, rows[:1]) is None  # not asked for


# --- insert_instances: what receive_messages writes its rows with ---------------------

TRICKY = [
    'Hei "asiakas", C:\\polku\\tiedosto {a,b} NULL',
    "",
    "NULL",
    '<p class="x">ä\\ö</p>\n\t',
    "  välilyönnit  ",
]


def _messages(ticket, contact, at):
    from tiski.tickets.models import Message, MessageKind

    return [
        Message(
            ticket=ticket,
            kind=MessageKind.CUSTOMER if n % 2 else MessageKind.INTERNAL,
            author_contact=contact if n % 2 else None,
            channel="email",
            text=text,
            html=TRICKY[(n + 1) % len(TRICKY)],
            preview=text[:300],
            external_id=f"<{n}@x>",
            meta={"n": n, "text": text, "none": None} if n else {},
            created_at=at,
        )
        for n, text in enumerate(TRICKY)
    ]


def _rows(model, ids):
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    return list(model.objects.filter(pk__in=ids).order_by("pk").values_list(*names))


def test_insert_instances_stores_what_bulk_create_stores(make_ticket, make_contact):
    """Messages with quotes, backslashes, braces, 'NULL', empty text, JSON and a
    null author, their attachments (a file field) and events: the same rows
    from insert_instances as from bulk_create, and each instance its id."""
    from django.core.files.base import ContentFile

    from tiski.core.bulk import insert_instances
    from tiski.tickets import events
    from tiski.tickets.actions.rows import NewAttachment, attachment_rows
    from tiski.tickets.models import Attachment, Event, EventKind, Message

    ticket, contact = make_ticket(), make_contact()
    at = datetime(2025, 3, 10, 7, 0, 0, 123456, tzinfo=UTC)

    def write(insert):
        messages = _messages(ticket, contact, at)
        insert(Message, messages)
        files = [
            NewAttachment(filename=f'liite "{n}".txt', content=ContentFile(b"x" * n))
            for n in range(1, 3)
        ]
        attachments = attachment_rows(messages[1], files)
        insert(Attachment, attachments)
        made = [
            events.event_row(
                ticket,
                kind=EventKind.MESSAGE,
                actor=None,
                via="channel",
                at=at,
                meta={"message_id": m.pk, "text": m.text},
            )
            for m in messages
        ]
        insert(Event, made)
        return messages, attachments, made

    def bulk(model, rows):
        model.objects.bulk_create(rows)

    expected = write(bulk)
    got = write(insert_instances)
    for model, old, new in zip((Message, Attachment, Event), expected, got, strict=True):
        assert all(row.pk is not None and not row._state.adding for row in new)
        assert [r.pk for r in new] == sorted(r.pk for r in new)
        old_rows, new_rows = _rows(model, [r.pk for r in old]), _rows(model, [r.pk for r in new])
        if model is Message:
            assert new_rows == old_rows
        elif model is Attachment:  # another message, another (random) file name
            names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
            own = [names.index("file"), names.index("message_id")]

            def strip(rows, own=own):
                return [tuple(v for i, v in enumerate(r) if i not in own) for r in rows]

            assert strip(new_rows) == strip(old_rows)
            assert all(r[own[0]] and r[own[1]] == got[0][1].pk for r in new_rows)
        else:  # events name their own message ids
            meta = [f.attname for f in model._meta.concrete_fields if not f.primary_key].index(
                "meta"
            )
            assert [r[:meta] + r[meta + 1 :] for r in new_rows] == [
                r[:meta] + r[meta + 1 :] for r in old_rows
            ]
            assert [r[meta]["message_id"] for r in new_rows] == [m.pk for m in got[0]]
            assert [r[meta]["text"] for r in new_rows] == TRICKY


def test_text_array_reads_back_as_the_list(db):
    """The array literal built for a text column is the list psycopg would send."""
    from django.db import connection

    from tiski.core.bulk import _array_literal

    values = [*TRICKY, None, "}", '"', "\\", "a,b", "ä" * 3]
    moments = [
        datetime(2025, 3, 10, 7, 0, 0, 123456, tzinfo=UTC),
        None,
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::text[], %s::timestamptz[], %s::bigint[], %s::boolean[], %s::date[]",
            [
                _array_literal(values),
                _array_literal(moments),
                _array_literal([1, None, -(2**40)]),
                _array_literal([True, None, False]),
                _array_literal([moments[0].date(), None]),
            ],
        )
        assert cursor.fetchone() == (
            values,
            moments,
            [1, None, -(2**40)],
            [True, None, False],
            [moments[0].date(), None],
        )


# --- a key that is a field of its own, and rows that update what is stored -------------


def test_insert_rows_updates_the_stored_rows_whose_unique_fields_match(make_ticket):
    """TicketSla's key is its ticket, written rather than numbered: rows for
    stored tickets update the fields named, the others are inserted."""
    from tiski.sla.models import TicketSla

    first, second, third = (make_ticket(subject=f"Asia {n}") for n in range(3))
    TicketSla.objects.filter(ticket__in=[first, second, third]).delete()
    insert_rows(
        TicketSla,
        [
            {"ticket": first, "next_kind": "first_reply"},
            {"ticket_id": second.pk, "next_kind": "first_reply", "warned_for": None},
        ],
    )
    insert_rows(
        TicketSla,
        [
            {"ticket_id": second.pk, "next_kind": "resolution", "paused": True},
            {"ticket_id": third.pk, "next_kind": "next_reply"},
        ],
        unique_fields=["ticket"],
        update_fields=["next_kind", "paused"],
    )
    stored = {
        row[0]: row[1:]
        for row in TicketSla.objects.filter(ticket__in=[first, second, third]).values_list(
            "ticket_id", "next_kind", "paused"
        )
    }
    assert stored == {
        first.pk: ("first_reply", False),
        second.pk: ("resolution", True),
        third.pk: ("next_reply", False),
    }


def test_insert_instances_writes_a_key_that_is_a_field(make_ticket):
    from tiski.core.bulk import insert_instances
    from tiski.sla.models import TicketSla

    ticket = make_ticket()
    TicketSla.objects.filter(ticket=ticket).delete()
    row = TicketSla(ticket=ticket, next_kind="resolution")
    insert_instances(TicketSla, [row])
    assert row.pk == ticket.pk and not row._state.adding
    assert TicketSla.objects.get(pk=ticket.pk).next_kind == "resolution"
