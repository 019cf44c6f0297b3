"""Time rules, with the shipped defaults, on a moving clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tiski.notifications.models import unread_for
from tiski.rules import engine
from tiski.rules.facts import default_calendar
from tiski.rules.models import RuleFiring, TimeRule
from tiski.tickets import actions
from tiski.tickets.models import Event, MessageKind, Status, Via

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY_9 = datetime(2025, 3, 10, 9, 0, tzinfo=HELSINKI)


@pytest.fixture
def clock(time_machine):
    def move(moment: datetime) -> datetime:
        time_machine.move_to(moment, tick=False)
        return moment

    move(MONDAY_9)
    return move


def pending_ticket(make_ticket, make_contact, make_user, language="fi"):
    agent = make_user(name="Antti Agentti")
    requester = make_contact(
        name="Jane Doe" if language == "en" else "Maija Meikäläinen", language=language
    )
    ticket = make_ticket(requester=requester, assignee=agent)
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.PENDING)
    return ticket


def test_pending_reminder_after_3_days_then_solved_after_7(
    make_ticket, make_contact, make_user, clock, outbox
):
    finn = pending_ticket(make_ticket, make_contact, make_user)
    brit = pending_ticket(make_ticket, make_contact, make_user, language="en")

    clock(MONDAY_9 + timedelta(hours=71, minutes=59))
    engine.run_time_rules()
    assert outbox.calls == []

    clock(MONDAY_9 + timedelta(hours=72))
    engine.run_time_rules()
    subjects = {call["ticket"].pk: call["subject"] for call in outbox.calls}
    assert subjects == {
        finn.pk: f"Muistutus: odotamme vastaustasi [#{finn.number}]",
        brit.pk: f"Reminder: we are waiting for your reply [#{brit.number}]",
    }
    assert outbox.calls[1]["text"].startswith("Hello Jane,")

    clock(MONDAY_9 + timedelta(days=5))
    engine.run_time_rules()
    assert len(outbox.calls) == 2, "a rule fires once per ticket until the ticket changes"

    clock(MONDAY_9 + timedelta(days=7))
    engine.run_time_rules()
    for ticket in (finn, brit):
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
        event = Event.objects.filter(ticket=ticket, field="status").latest("id")
        assert (event.new_value, event.via) == ("solved", Via.RULE)
        firing = RuleFiring.objects.get(event_ids=[event.pk])
        assert firing.rule_name == "Ratkaise odottava tiketti 7 päivän jälkeen"
    assert len(outbox.calls) == 2


def test_solved_tickets_close_after_4_days(make_ticket, make_user, clock):
    agent = make_user()
    ticket = make_ticket(assignee=agent)
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    clock(MONDAY_9 + timedelta(days=4) - timedelta(minutes=1))
    engine.run_time_rules()
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    clock(MONDAY_9 + timedelta(days=4))
    engine.run_time_rules()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None


def test_a_customer_reply_resets_the_pending_clock(
    make_ticket, make_contact, make_user, clock, outbox
):
    ticket = pending_ticket(make_ticket, make_contact, make_user)
    clock(MONDAY_9 + timedelta(days=3))
    engine.run_time_rules()
    assert len(outbox.calls) == 1
    clock(MONDAY_9 + timedelta(days=4))
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        author_contact=ticket.requester,
        via=Via.CHANNEL,
        text="Tässä tiedot",
    )
    actions.update_ticket(ticket, actor=None, via=Via.AGENT, status=Status.PENDING)
    clock(MONDAY_9 + timedelta(days=6, hours=23))
    engine.run_time_rules()
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING and len(outbox.calls) == 1
    clock(MONDAY_9 + timedelta(days=7))
    engine.run_time_rules()
    assert len(outbox.calls) == 2


def test_idle_assignee_reminder_counts_business_hours(make_ticket, make_user, clock):
    """Updated Monday 9:00: 24 office hours (8-16) have passed on Thursday at 9:00."""
    agent = make_user(language="en")
    ticket = make_ticket(assignee=agent)
    unassigned = make_ticket()
    clock(datetime(2025, 3, 13, 8, 59, tzinfo=HELSINKI))
    engine.run_time_rules()
    assert unread_for(agent).count() == 0
    clock(datetime(2025, 3, 13, 9, 0, tzinfo=HELSINKI))
    engine.run_time_rules()
    engine.run_time_rules()
    (notice,) = unread_for(agent)
    assert notice.ticket == ticket and notice.text.startswith(f"Ticket #{ticket.number} ")
    assert not RuleFiring.objects.filter(ticket=unassigned).exists()
    rule = TimeRule.objects.get(position=30)
    assert rule.fire_count == 1 and rule.last_run_at is not None


def test_time_conditions_are_narrowed_in_sql(make_ticket, make_user, clock, no_shipped_time_rules):
    """The pass asks the database for candidates; Python sees only those."""
    agent = make_user()
    old = make_ticket(assignee=agent)
    clock(MONDAY_9 + timedelta(days=2))
    make_ticket(assignee=agent)  # too young
    rule = TimeRule.objects.create(
        name="Vanhat",
        conditions={
            "all": [
                {"type": "status", "op": "in", "value": ["open"]},
                {"type": "hours_since", "since": "created", "hours": 36},
            ],
            "none": [{"type": "tags", "tags": ["ohita"]}],
        },
        actions=[{"type": "add_tags", "tags": ["vanha"]}],
    )
    compiled = engine.compile_rule(rule)
    qs, exact, needs = engine.candidates(compiled, MONDAY_9 + timedelta(days=2), default_calendar())
    assert exact and needs == frozenset()
    assert list(qs) == [old]
    assert engine.run_time_rules() == {"Vanhat": 1}
    assert engine.run_time_rules() == {"Vanhat": 0}


def test_conditions_without_sql_are_checked_in_python(
    make_ticket, make_user, clock, no_shipped_time_rules
):
    make_ticket(subject="Lasku hukassa")
    make_ticket(subject="Tilaus")
    TimeRule.objects.create(
        name="Laskut",
        conditions={
            "all": [
                {"type": "hours_since", "since": "created", "hours": 1},
                {"type": "text", "field": "subject", "op": "word_starts", "value": "lasku"},
                {"type": "mailbox", "op": "equals", "value": ""},
            ]
        },
        actions=[{"type": "add_tags", "tags": ["laskutus"]}],
    )
    clock(MONDAY_9 + timedelta(hours=2))
    assert engine.run_time_rules() == {"Laskut": 1}


def test_loop_caps_hold_in_the_time_pass(make_ticket, clock, settings, no_shipped_time_rules):
    """A ticket that rules changed too often this hour is left alone by a
    ticket-changing time rule; the other tickets of the pass still change."""
    settings.TISKI_RULE_MAX_CHANGES_PER_HOUR = 3
    busy, calm = make_ticket(subject="Kiireinen"), make_ticket(subject="Rauhallinen")
    clock(MONDAY_9 + timedelta(hours=2))
    for n in range(3):  # other rules changed it three times in the last hour
        RuleFiring.objects.create(
            rule_kind="trigger",
            rule_id=999,
            rule_name=f"Toinen {n}",
            ticket=busy,
            change_count=1,
        )
    TimeRule.objects.create(
        name="Merkitse vanhat",
        conditions={"all": [{"type": "hours_since", "since": "created", "hours": 1}]},
        actions=[{"type": "add_tags", "tags": ["vanha"]}],
    )
    assert engine.run_time_rules() == {"Merkitse vanhat": 1}
    assert list(calm.tags.values_list("name", flat=True)) == ["vanha"]
    assert not busy.tags.exists()
