"""`tiski export-tickets` writes the documented JSON Lines format, in bounded queries."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.customers.actions import add_identity, get_or_create_contact
from tiski.tickets import actions
from tiski.tickets.management.commands import export_tickets
from tiski.tickets.models import MessageKind, Status, TicketType, Via

T0 = datetime(2025, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 in Helsinki, the DST night


def _export(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("export_tickets", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def conversation(make_user, make_team):
    """A ticket with a customer email, a reply, a note and a phone follow-up."""
    team = make_team("Asiakastuki")
    agent = make_user(email="mikko@tiski.example", name="Mikko Virtanen", teams=(team,))
    contact, _ = get_or_create_contact("email", "Äiti.Määttä@Example.fi", name="Äiti Määttä")
    add_identity(contact, "phone", "+358 40 123 4567")
    ticket = actions.create_ticket(
        requester=contact,
        subject="Keitin ei lämpene",
        actor=None,
        via=Via.CHANNEL,
        channel="email",
        text="Hei, keittimeni ei lämpene. ☕",
        external_id="<abc@example.fi>",
        type=TicketType.objects.get(slug="complaint"),
        priority="high",
        team=team,
        created_at=T0,
    )
    actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, assignee=agent, at=T0 + timedelta(minutes=5)
    )
    actions.add_message(
        ticket,
        kind=MessageKind.INTERNAL,
        actor=agent,
        via=Via.AGENT,
        text="Tarkista sarjanumero.",
        created_at=T0 + timedelta(minutes=10),
    )
    actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        channel="email",
        text="Lähetämme uuden.",
        external_id="<r1@tiski.example>",
        created_at=T0 + timedelta(hours=1),
        status_after=Status.PENDING,
    )
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=contact,
        channel="phone",
        text="Kiitos!",
        external_id="call-77",
        created_at=T0 + timedelta(hours=2),
    )
    return ticket


def test_one_line_with_exact_fields(conversation):
    """Every documented field, with UTC timestamps and messages in conversation order."""
    [record] = _export()
    assert record == {
        "number": conversation.number,
        "subject": "Keitin ei lämpene",
        "status": "open",
        "type": "complaint",
        "priority": "high",
        "team": "Asiakastuki",
        "assignee": "mikko@tiski.example",
        "requester": {
            "name": "Äiti Määttä",
            "emails": ["äiti.määttä@example.fi"],
            "phones": ["+358401234567"],
        },
        "created_at": "2025-03-30T00:30:00.000000+00:00",
        "messages": [
            {
                "kind": "customer",
                "author": "äiti.määttä@example.fi",
                "created_at": "2025-03-30T00:30:00.000000+00:00",
                "text": "Hei, keittimeni ei lämpene. ☕",
                "message_id": "<abc@example.fi>",
            },
            {
                "kind": "internal",
                "author": "mikko@tiski.example",
                "created_at": "2025-03-30T00:40:00.000000+00:00",
                "text": "Tarkista sarjanumero.",
                "message_id": None,
            },
            {
                "kind": "public",
                "author": "mikko@tiski.example",
                "created_at": "2025-03-30T01:30:00.000000+00:00",
                "text": "Lähetämme uuden.",
                "message_id": "<r1@tiski.example>",
            },
            # A phone message keeps its external id to itself: only email
            # Message-IDs are exported.
            {
                "kind": "customer",
                "author": "äiti.määttä@example.fi",
                "created_at": "2025-03-30T02:30:00.000000+00:00",
                "text": "Kiitos!",
                "message_id": None,
            },
        ],
    }


def test_utf8_not_escaped_and_one_object_per_line(conversation, make_ticket):
    make_ticket(subject="Toinen")
    out = io.StringIO()
    call_command("export_tickets", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "Määttä" in lines[0] and "\\u" not in lines[0]


def test_unknown_people_and_empty_fields_are_null(make_ticket):
    """No type, team or assignee gives null; a phone-only author is its number."""
    contact, _ = get_or_create_contact("phone", "+358 50 765 4321", name="")
    make_ticket(requester=contact, channel="sms", text="Soittakaa")
    [record] = _export()
    assert (record["type"], record["team"], record["assignee"]) == (None, None, None)
    assert record["requester"] == {"name": "", "emails": [], "phones": ["+358507654321"]}
    assert record["messages"][0]["author"] == "+358507654321"
    assert record["messages"][0]["message_id"] is None


def test_ordered_by_number_with_filters(make_ticket, make_user):
    agent = make_user()
    old = make_ticket(subject="vanha", created_at=datetime(2025, 1, 10, 12, tzinfo=UTC))
    new = make_ticket(subject="uusi", created_at=datetime(2025, 2, 10, 12, tzinfo=UTC))
    done = make_ticket(subject="valmis", created_at=datetime(2025, 2, 11, 12, tzinfo=UTC))
    actions.update_ticket(done, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    assert [r["number"] for r in _export()] == [old.number, new.number, done.number]
    assert [r["subject"] for r in _export("--since", "2025-02-01")] == ["uusi", "valmis"]
    assert [r["subject"] for r in _export("--status", "solved")] == ["valmis"]
    assert [r["subject"] for r in _export("--status", "solved", "--status", "new")] == [
        "vanha",
        "uusi",
        "valmis",
    ]
    # A date starts at midnight in the desk's time zone (UTC+2 in winter).
    assert [r["subject"] for r in _export("--since", "2025-02-10T14:00:01")] == ["valmis"]


def test_bad_since_is_a_command_error(db):
    with pytest.raises(CommandError):
        call_command("export_tickets", "--since", "eilen", stdout=io.StringIO())


def test_output_file(conversation, tmp_path):
    target = tmp_path / "tiketit.jsonl"
    err = io.StringIO()
    call_command("export_tickets", "--output", str(target), stdout=io.StringIO(), stderr=err)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["number"] for line in lines] == [conversation.number]
    assert list(tmp_path.iterdir()) == [target]  # no partial file left behind
    assert "1" in err.getvalue()


def _make_tickets(count: int, make_ticket, agent) -> None:
    for n in range(count):
        ticket = make_ticket(subject=f"tiketti {n}")
        actions.add_message(
            ticket,
            kind=MessageKind.PUBLIC,
            actor=agent,
            via=Via.AGENT,
            channel="email",
            text="vastaus",
        )
        actions.add_message(
            ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="muistiinpano"
        )


def _count_queries() -> tuple[int, int]:
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("export_tickets", stdout=out)
    return len(queries), len(out.getvalue().splitlines())


def test_query_count_does_not_grow_with_tickets(make_ticket, make_user):
    """3 tickets and 30 tickets cost the same queries: no query per ticket."""
    agent = make_user()
    _make_tickets(3, make_ticket, agent)
    few, lines = _count_queries()
    assert lines == 3
    _make_tickets(27, make_ticket, agent)
    many, lines = _count_queries()
    assert lines == 30
    assert many == few


def test_chunks_keep_order_and_cost_a_few_queries_each(make_ticket, make_user, monkeypatch):
    """Across chunk boundaries the order holds and queries grow per chunk only."""
    agent = make_user()
    _make_tickets(9, make_ticket, agent)
    monkeypatch.setattr(export_tickets, "CHUNK_SIZE", 1000)
    single, _lines = _count_queries()
    monkeypatch.setattr(export_tickets, "CHUNK_SIZE", 4)
    chunked, lines = _count_queries()
    numbers = [r["number"] for r in _export()]
    assert numbers == sorted(numbers) and len(numbers) == lines == 9
    # Three chunks (4 + 4 + 1): each prefetch runs once per chunk, never per ticket.
    assert single < chunked <= 3 * single
