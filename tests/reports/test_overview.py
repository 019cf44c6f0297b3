"""The live overview's figures on hand-built tickets, its links and its access rules."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.reports import overview
from tiski.reports.facts import rebuild as rebuild_facts
from tiski.tickets.events import record_status_change
from tiski.tickets.models import NO_DEADLINE, Ticket, TicketMerge, Via

from ..conftest import PASSWORD

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # Thursday 10:00 in Helsinki
MIDNIGHT = datetime(2026, 12, 2, 22, 0, tzinfo=UTC)  # 3.12. 00:00 in Helsinki


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def shape(ticket: Ticket, **fields) -> Ticket:
    """Set a ticket's stored state exactly (what the actions and the SLA service keep)."""
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def desk(clock, make_user, make_team, make_ticket):
    support = make_team("Asiakastuki")
    secret = make_team("Johdon asiat", restricted=True)
    manager = make_user(role=Role.MANAGER, teams=(support,), name="Maija Manageri")
    agent = make_user(teams=(support,), name="Aki Agentti")
    admin = make_user(role=Role.ADMIN, name="Anna Admin")
    light = make_user(role=Role.LIGHT_AGENT, teams=(support,))
    t = {}
    # New today, unassigned, the customer waiting since 9:00.
    t["new"] = shape(
        make_ticket(subject="Uusi tänään", team=support),
        status="new",
        assignee=None,
        created_at=NOW - timedelta(hours=1),
        last_customer_message_at=NOW - timedelta(hours=1),
        last_agent_reply_at=None,
    )
    # Open, Aki's, past its deadline; the customer wrote again three days ago.
    t["breach"] = shape(
        make_ticket(subject="Myöhässä", team=support),
        status="open",
        assignee=agent,
        created_at=NOW - timedelta(days=4),
        queue_due_at=NOW - timedelta(minutes=10),
        sla_warn_at=NOW - timedelta(hours=1),
        last_agent_reply_at=NOW - timedelta(days=3, hours=1),
        last_customer_message_at=NOW - timedelta(days=3),
    )
    # Open, Aki's, warned but not yet late; we answered last.
    t["near"] = shape(
        make_ticket(subject="Kohta myöhässä", team=support),
        status="open",
        assignee=agent,
        created_at=MIDNIGHT + timedelta(minutes=30),
        queue_due_at=NOW + timedelta(minutes=10),
        sla_warn_at=NOW - timedelta(minutes=5),
        last_customer_message_at=NOW - timedelta(hours=2),
        last_agent_reply_at=NOW - timedelta(hours=1),
    )
    t["pending"] = shape(
        make_ticket(subject="Odottaa asiakasta", team=support),
        status="pending",
        assignee=agent,
        created_at=NOW - timedelta(days=1),
        last_customer_message_at=NOW - timedelta(days=5),
        last_agent_reply_at=None,
    )
    t["solved_today"] = shape(
        make_ticket(subject="Ratkaistu tänään", team=support),
        status="solved",
        assignee=agent,
        created_at=NOW - timedelta(days=2),
        solved_at=MIDNIGHT + timedelta(hours=1),
        updated_at=MIDNIGHT + timedelta(hours=1),
    )
    t["solved_yesterday"] = shape(
        make_ticket(subject="Ratkaistu eilen", team=support),
        status="closed",
        assignee=agent,
        created_at=NOW - timedelta(days=3),
        solved_at=MIDNIGHT - timedelta(minutes=1),
        updated_at=MIDNIGHT - timedelta(minutes=1),
    )
    # The restricted team's: created today, unassigned, late, its customer
    # waiting longest of all. Only its members and admins may count it.
    t["secret"] = shape(
        make_ticket(subject="Salainen", team=secret),
        status="open",
        assignee=None,
        created_at=MIDNIGHT + timedelta(minutes=5),
        queue_due_at=NOW - timedelta(hours=2),
        sla_warn_at=NOW - timedelta(hours=3),
        last_customer_message_at=NOW - timedelta(days=10),
        last_agent_reply_at=None,
    )
    # A duplicate opened today and merged into the late one (closed by the
    # merge): it counts on the ticket it went into, not as created or solved.
    t["merged"] = shape(
        make_ticket(subject="Kaksoiskappale", team=support),
        status="closed",
        assignee=agent,
        created_at=MIDNIGHT + timedelta(hours=2),
        solved_at=NOW - timedelta(minutes=30),
        closed_at=NOW - timedelta(minutes=30),
        updated_at=NOW - timedelta(minutes=30),
    )
    TicketMerge.objects.create(source=t["merged"], target=t["breach"])
    # The solves as the actions record them, so the facts see them too.
    for key in ("solved_today", "solved_yesterday", "merged"):
        ticket = t[key]
        record_status_change(
            ticket, "open", "solved", actor=agent, via=Via.AGENT, at=ticket.solved_at
        )
    # The rows above were shaped by hand, around the actions: bring the report
    # facts (which the drill-down lists read) up to date as the handler would.
    rebuild_facts()
    return {"manager": manager, "agent": agent, "admin": admin, "light": light, "t": t}


def test_manager_figures_leave_out_the_restricted_team(desk):
    """A manager outside the restricted team counts everything else and nothing of it."""
    f = overview.compute(desk["manager"], tz=HELSINKI)
    assert f.own_only is False
    assert f.by_status == {"new": 1, "open": 2, "pending": 1, "on_hold": 0}
    assert f.open_total == 4
    assert f.unassigned == 1
    assert f.breaching == 1
    assert f.near_breach == 1
    # Created since local midnight: the new one and the warned one.
    assert f.created_today == 2
    # Solved 00:59 today counts; 23:59 yesterday does not.
    assert f.solved_today == 1
    # The pending ticket's customer is not waiting for us; the late one's is.
    assert f.oldest_waiting is not None
    assert f.oldest_waiting.number == desk["t"]["breach"].number
    assert f.oldest_wait_seconds == 3 * 86400


def test_admin_figures_include_the_restricted_team(desk):
    f = overview.compute(desk["admin"], tz=HELSINKI)
    assert f.by_status["open"] == 3
    assert f.unassigned == 2
    assert f.breaching == 2
    assert f.created_today == 3
    assert f.oldest_waiting.number == desk["t"]["secret"].number


def test_agent_sees_only_own_tickets(desk):
    f = overview.compute(desk["agent"], tz=HELSINKI)
    assert f.own_only is True
    assert f.by_status == {"new": 0, "open": 2, "pending": 1, "on_hold": 0}
    assert f.breaching == 1 and f.near_breach == 1
    assert f.created_today == 1
    assert f.solved_today == 1
    assert f.oldest_waiting.number == desk["t"]["breach"].number


def test_next_change_is_the_nearest_deadline_warning_or_midnight(desk):
    f = overview.compute(desk["manager"], tz=HELSINKI)
    # The warned ticket becomes late just after 10:10.
    assert f.next_change_at == NOW + timedelta(minutes=10, seconds=1)
    shape(desk["t"]["near"], queue_due_at=NO_DEADLINE, sla_warn_at=None)
    f = overview.compute(desk["manager"], tz=HELSINKI)
    assert f.next_change_at == MIDNIGHT + timedelta(days=1)


def test_time_passing_moves_a_ticket_from_near_to_breaching(desk, clock):
    clock.move_to(NOW + timedelta(minutes=11))
    f = overview.compute(desk["manager"], tz=HELSINKI)
    assert (f.breaching, f.near_breach) == (2, 0)


def test_local_day_has_25_hours_when_summer_time_ends():
    start, end = overview.local_day(datetime(2026, 10, 25, 12, 0, tzinfo=UTC), HELSINKI)
    assert start == datetime(2026, 10, 24, 21, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=25)


def _listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {t.number for t in response.context["page"].tickets}


@pytest.mark.parametrize("who", ["manager", "admin", "agent"])
def test_every_number_links_to_the_list_of_exactly_its_tickets(client, desk, who):
    """Following a figure's link lists the tickets it counted, through visible_to."""
    user = desk[who]
    client.login(username=user.email, password=PASSWORD)
    f = overview.compute(user)
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 200
    links = response.context["links"]
    expected = {
        "open": f.open_total,
        "breaching": f.breaching,
        "near_breach": f.near_breach,
        "created_today": f.created_today,
        "solved_today": f.solved_today,
        **{f"status_{s}": n for s, n in f.by_status.items()},
    }
    if not f.own_only:
        expected["unassigned"] = f.unassigned
    for key, count in expected.items():
        assert links[key] in response.content.decode().replace("&amp;", "&"), key
        assert len(_listed(client, links[key])) == count, key
    secret = desk["t"]["secret"].number
    shown = _listed(client, links["breaching"])
    assert (secret in shown) is (who == "admin")


def test_page_shows_the_figures_and_the_fragment_refreshes(client, desk):
    client.login(username=desk["manager"].email, password=PASSWORD)
    page = client.get(reverse("reports:overview")).content.decode()
    assert 'data-figure="breaching">1<' in page
    assert "Salainen" not in page
    assert f"#{desk['t']['breach'].number}" in page
    assert reverse("reports:handling") in page  # the reports' navigation
    fragment = client.get(reverse("reports:overview") + "?partial=figures")
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b'data-next-change="2026-12-03T10:10:01+02:00"' in fragment.content


def test_light_agents_get_403(client, desk):
    client.login(username=desk["light"].email, password=PASSWORD)
    assert client.get(reverse("reports:overview")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("reports:overview"))
    assert response.status_code == 302 and "/login/" in response["Location"]
