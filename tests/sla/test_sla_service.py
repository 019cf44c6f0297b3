"""SLA policies applied to real tickets, the ordered queue and "next ticket"."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.urls import reverse

from tiski.sla.models import SlaPolicy, SlaTarget, TicketSla
from tiski.sla.services import check_deadlines, refresh_ticket_sla, state_of
from tiski.tickets import actions
from tiski.tickets.models import NO_DEADLINE, EventKind, MessageKind, Status, Ticket, Via
from tiski.tickets.queue import take_next_ticket

from ..conftest import PASSWORD

MONDAY_10 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 10:00 Helsinki

# The SLA service runs after commit (a TicketChange handler), so these tests
# commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def test_default_policy_sets_deadline_and_queue_key(db, monday, make_ticket):
    ticket = make_ticket(priority="urgent")
    ticket.refresh_from_db()
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.policy.name.startswith("Perustaso")
    assert sla.next_kind == "first_reply"
    assert ticket.queue_due_at == MONDAY_10 + timedelta(hours=1)  # urgent: 1 h
    assert state_of(ticket) == "on_track"


def test_reply_moves_to_resolution_and_pending_pauses(db, monday, make_ticket, make_user):
    agent = make_user()
    ticket = make_ticket(priority="urgent")
    actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text="Katsotaan",
        status_after=Status.PENDING,
    )
    ticket.refresh_from_db()
    assert ticket.queue_due_at == NO_DEADLINE  # pending: clock paused
    assert TicketSla.objects.get(ticket=ticket).paused
    first = SlaTarget.objects.get(ticket=ticket, kind="first_reply")
    assert first.achieved_at == MONDAY_10 and not first.breached
    monday.shift(timedelta(hours=2))
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=ticket.requester,
        text="Vieläkin rikki",
    )
    ticket.refresh_from_db()
    # open again: the next-reply clock (urgent: 2 h) comes before resolution
    assert ticket.status == Status.OPEN
    assert TicketSla.objects.get(ticket=ticket).next_kind == "next_reply"
    assert ticket.queue_due_at == MONDAY_10 + timedelta(hours=4)


def test_policy_conditions_first_match_wins(db, monday, make_ticket, make_team):
    vip = make_team("VIP")
    default = SlaPolicy.objects.get(name__startswith="Perustaso")
    special = SlaPolicy.objects.create(
        name="VIP", position=1, calendar=default.calendar, targets={"normal": {"first_reply": 15}}
    )
    special.match_teams.add(vip)
    vip_ticket = make_ticket(team=vip)
    other = make_ticket()
    vip_ticket.refresh_from_db()
    other.refresh_from_db()
    assert vip_ticket.sla.policy == special
    assert vip_ticket.queue_due_at == MONDAY_10 + timedelta(minutes=15)
    assert other.sla.policy == default


def test_warning_and_breach_are_events_announced_once(db, monday, make_ticket):
    ticket = make_ticket(priority="urgent")  # due 11:00 Helsinki, warned 15 min before
    assert check_deadlines() == {"sla_warning": 0, "sla_breach": 0}
    monday.shift(timedelta(minutes=46))
    assert check_deadlines() == {"sla_warning": 1, "sla_breach": 0}
    assert check_deadlines() == {"sla_warning": 0, "sla_breach": 0}
    monday.shift(timedelta(minutes=15))
    assert check_deadlines() == {"sla_warning": 0, "sla_breach": 1}
    assert check_deadlines()["sla_breach"] == 0
    kinds = list(ticket.events.filter(kind=EventKind.SLA).values_list("field", flat=True))
    assert kinds == ["sla_warning", "sla_breach"]
    assert SlaTarget.objects.get(ticket=ticket, kind="first_reply").breached
    ticket.refresh_from_db()
    assert state_of(ticket) == "breached"


def test_a_breach_reaches_rules_as_the_tickets_change(
    db, monday, make_ticket, make_user, settings
):
    """check_deadlines never calls the rules engine: the breach event's change does.

    With the rules handler taken out of the after-change handlers, a breach
    fires no trigger at all; with it in, the trigger runs once.
    """
    from tiski.rules.models import RuleFiring, Trigger
    from tiski.tickets import changes

    Trigger.objects.create(
        name="Rikkeestä kiireellinen",
        events=["sla_breach"],
        conditions={},
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    ticket = make_ticket(priority="high")
    changes._handlers.cache_clear()
    everything = list(settings.TISKI_TICKET_CHANGE_HANDLERS)
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        path for path in everything if not path.startswith("tiski.rules.")
    ]
    try:
        monday.shift(timedelta(hours=5))
        assert check_deadlines()["sla_breach"] == 1
        assert not RuleFiring.objects.filter(ticket=ticket).exists()
        ticket.refresh_from_db()
        assert ticket.priority == "high"
    finally:
        settings.TISKI_TICKET_CHANGE_HANDLERS = everything
        changes._handlers.cache_clear()
    # A reply achieves the first-reply target; then the resolution target is missed.
    actions.add_message(
        ticket, kind=MessageKind.PUBLIC, actor=make_user(), via=Via.AGENT, text="Katsotaan"
    )
    monday.shift(timedelta(days=30))
    assert check_deadlines()["sla_breach"] == 1
    assert RuleFiring.objects.filter(ticket=ticket, effective=True).count() == 1
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_queue_orders_by_deadline_then_priority_then_age(
    db, monday, make_ticket, make_user, client
):
    agent = make_user()
    low = make_ticket(subject="Matala", priority="low")
    urgent = make_ticket(subject="Kiire", priority="urgent")
    monday.shift(timedelta(minutes=5))
    urgent_later = make_ticket(subject="Kiire myöhemmin", priority="urgent")
    SlaPolicy.objects.update(active=False)
    nodeadline = make_ticket(subject="Ei SLA:ta", priority="high")
    client.login(username=agent.email, password=PASSWORD)
    page = client.get(reverse("desk:inbox") + "?view=open")
    order = [t.subject for t in page.context["page"].tickets]
    assert order == [urgent.subject, urgent_later.subject, low.subject, nodeadline.subject]


def test_next_ticket_takes_top_unassigned_visible(db, monday, make_ticket, make_user, client):
    agent = make_user()
    make_ticket(subject="Matala", priority="low")
    top = make_ticket(subject="Kiire", priority="urgent")
    client.login(username=agent.email, password=PASSWORD)
    response = client.post(reverse("desk:ticket-next"))
    assert response.status_code == 302 and response["Location"] == top.get_absolute_url()
    top.refresh_from_db()
    assert top.assignee == agent and top.status == Status.OPEN
    second = take_next_ticket(agent)
    assert second.subject == "Matala"
    assert take_next_ticket(agent) is None


def test_two_agents_pressing_at_once_never_get_the_same_ticket(make_ticket, make_user):
    """Concurrent "next ticket" on real connections (PostgreSQL: SKIP LOCKED)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent row locking is a PostgreSQL test")
    agents = [make_user() for _ in range(4)]
    for i in range(4):
        make_ticket(subject=f"Jonossa {i}", priority="normal")
    barrier = threading.Barrier(len(agents))
    taken: list[int | None] = []
    lock = threading.Lock()

    def press(agent):
        try:
            barrier.wait()
            ticket = take_next_ticket(agent)
            with lock:
                taken.append(ticket.pk if ticket else None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert None not in taken and len(set(taken)) == len(agents)
    assert Ticket.objects.filter(assignee__isnull=False).count() == 4


def test_refresh_without_policy_clears_deadline(db, monday, make_ticket):
    ticket = make_ticket(priority="urgent")
    SlaPolicy.objects.update(active=False)
    refresh_ticket_sla(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.queue_due_at == NO_DEADLINE and state_of(ticket) == "none"


def test_acknowledgement_promises_the_policys_first_reply(monday, make_ticket):
    from tiski.connectors.email.outbound import acknowledgement_target

    ticket = make_ticket(priority="urgent")
    target = acknowledgement_target(ticket)
    assert target.target == timedelta(hours=1)  # the shipped policy's urgent first reply
    ticket.priority = "low"
    assert acknowledgement_target(ticket).target == timedelta(hours=16)


def _sla_snapshot(ticket_ids):
    """Everything a refresh writes, comparable across refreshes."""
    tickets = {
        t.pk: (t.queue_due_at, t.sla_warn_at) for t in Ticket.objects.filter(pk__in=ticket_ids)
    }
    slas = {
        s.ticket_id: (s.policy_id, s.next_kind, s.next_due_at, s.warn_at, s.paused)
        for s in TicketSla.objects.filter(ticket_id__in=ticket_ids)
    }
    targets = sorted(
        SlaTarget.objects.filter(ticket_id__in=ticket_ids).values_list(
            "ticket_id", "kind", "started_at", "due_at", "achieved_at", "breached"
        )
    )
    return tickets, slas, targets


def test_bulk_refresh_matches_one_by_one_in_constant_queries(
    db, monday, make_ticket, make_user, django_assert_max_num_queries
):
    """refresh_tickets (after an import) writes exactly what per-ticket refreshes
    write, and its query count does not grow with the number of tickets."""
    from tiski.sla.services import refresh_tickets

    agent = make_user()
    tickets = []
    for i in range(12):
        ticket = make_ticket(subject=f"Erä {i}", priority=("urgent", "normal", "low")[i % 3])
        if i % 2:
            actions.add_message(
                ticket,
                kind=MessageKind.PUBLIC,
                actor=agent,
                via=Via.AGENT,
                text="Selvitämme",
                status_after=Status.PENDING,
            )
        if i % 4 == 3:
            monday.shift(timedelta(minutes=30))
            actions.add_message(
                ticket,
                kind=MessageKind.CUSTOMER,
                actor=None,
                via=Via.CHANNEL,
                author_contact=ticket.requester,
                text="Kiitos, entä nyt?",
            )
        tickets.append(ticket.pk)
    for ticket_id in tickets:  # one by one, all at the same moment
        refresh_ticket_sla(ticket_id)
    expected = _sla_snapshot(tickets)
    # Wipe what the handlers wrote, then rebuild it all at once.
    TicketSla.objects.filter(ticket_id__in=tickets).delete()
    SlaTarget.objects.filter(ticket_id__in=tickets).delete()
    Ticket.objects.filter(pk__in=tickets).update(queue_due_at=NO_DEADLINE, sla_warn_at=None)
    with django_assert_max_num_queries(16):
        refresh_tickets(tickets)
    assert _sla_snapshot(tickets) == expected
    assert len(expected[2]) >= 12  # targets were really written
    # A second pass finds nothing to change and writes no targets again.
    with django_assert_max_num_queries(16):
        refresh_tickets(tickets)
    assert _sla_snapshot(tickets) == expected


def test_a_child_ticket_runs_on_its_own_teams_policy_and_counts_for_that_team(
    db, monday, make_ticket, make_team, make_user
):
    """Work sent to another team as a child ticket is measured there: the
    child gets the policy matching its team, the parent keeps its own, and
    the report facts count the child for the team that does the work."""
    from tiski.reports.models import HourlyVolume, TicketFact

    support, billing = make_team("Tuki"), make_team("Laskutus")
    default = SlaPolicy.objects.get(name__startswith="Perustaso")
    billing_policy = SlaPolicy.objects.create(
        name="Laskutus",
        position=1,
        calendar=default.calendar,
        targets={"normal": {"first_reply": 30}},
    )
    billing_policy.match_teams.add(billing)
    agent = make_user(teams=(support,))
    parent = make_ticket(team=support)
    child = actions.create_child_ticket(
        parent,
        subject="Hyvitys",
        brief="Hyvittäkää lasku",
        actor=agent,
        via=Via.AGENT,
        team=billing,
    )
    parent.refresh_from_db()
    child.refresh_from_db()
    assert child.sla.policy == billing_policy and parent.sla.policy == default
    assert child.queue_due_at == MONDAY_10 + timedelta(minutes=30)
    assert TicketFact.objects.get(ticket=child).team_id == billing.pk
    assert TicketFact.objects.get(ticket=parent).team_id == support.pk
    created_for_billing = HourlyVolume.objects.filter(team=billing).values_list(
        "created", flat=True
    )
    assert sum(created_for_billing) == 1
