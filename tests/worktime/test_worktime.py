"""Heartbeats over HTTP, manual entries and corrections, the side panel and the sums."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.tickets.models import Ticket
from tiski.worktime import metrics, services
from tiski.worktime.counting import SESSION_CAP
from tiski.worktime.models import EntrySource, WorkEntry

from ..conftest import PASSWORD

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def setup(clock, make_user, make_team, make_ticket, client):
    support = make_team("Asiakastuki")
    secret = make_team("Johdon asiat", restricted=True)
    agent = make_user(teams=(support,), name="Aki Agentti")
    ticket = make_ticket(subject="Lasku väärin", team=support)
    hidden = make_ticket(subject="Salainen", team=secret)
    client.login(username=agent.email, password=PASSWORD)
    return {"agent": agent, "ticket": ticket, "hidden": hidden, "support": support}


def beat(client, ticket: Ticket, session, focused=True, idle=0):
    return client.post(
        reverse("worktime:beat", args=[ticket.number]),
        {"session": str(session), "focused": "1" if focused else "0", "idle": str(idle)},
    )


def test_beats_of_a_focused_active_tab_add_up(client, setup, clock):
    ticket, session = setup["ticket"], uuid.uuid4()
    assert beat(client, ticket, session).json() == {"seconds": 0}  # opens the session
    clock.shift(20)
    assert beat(client, ticket, session, idle=2).json() == {"seconds": 20}
    clock.shift(20)
    assert beat(client, ticket, session, idle=5).json() == {"seconds": 40}
    entry = WorkEntry.objects.get(session=session)
    assert (entry.agent, entry.ticket, entry.source) == (setup["agent"], ticket, "measured")


def test_unfocused_and_idle_stretches_do_not_count(client, setup, clock):
    ticket, session = setup["ticket"], uuid.uuid4()
    beat(client, ticket, session)
    clock.shift(20)
    beat(client, ticket, session, focused=False)  # another tab in front
    clock.shift(20)
    beat(client, ticket, session, idle=200)  # focused but nobody there
    clock.shift(20)
    # Last input 70 s ago: only 10 s of this stretch were active.
    assert beat(client, ticket, session, idle=70).json() == {"seconds": 10}


def test_a_session_is_capped(client, setup, clock):
    ticket, session = setup["ticket"], uuid.uuid4()
    beat(client, ticket, session)
    WorkEntry.objects.filter(session=session).update(seconds=SESSION_CAP - 3)
    clock.shift(20)
    assert beat(client, ticket, session).json() == {"seconds": SESSION_CAP}
    clock.shift(20)
    assert beat(client, ticket, session).json() == {"seconds": SESSION_CAP}


def test_a_ticket_the_agent_may_not_see_is_refused(client, setup):
    response = beat(client, setup["hidden"], uuid.uuid4())
    assert response.status_code == 404
    assert not WorkEntry.objects.exists()
    response = client.post(
        reverse("worktime:record", args=[setup["hidden"].number]), {"minutes": "5"}
    )
    assert response.status_code == 404


def test_a_session_cannot_be_moved_to_another_ticket(client, setup, make_ticket):
    session = uuid.uuid4()
    beat(client, setup["ticket"], session)
    other = make_ticket(subject="Toinen", team=setup["support"])
    assert beat(client, other, session).status_code == 403


def test_bad_beats_are_rejected(client, setup):
    url = reverse("worktime:beat", args=[setup["ticket"].number])
    assert client.post(url, {"session": "nope", "focused": "1", "idle": "0"}).status_code == 400
    assert client.post(url, {"session": str(uuid.uuid4()), "idle": "-4"}).status_code == 400
    assert client.get(url).status_code == 405


def test_manual_entry_and_correction_are_recorded_with_who_and_when(client, setup, clock):
    ticket, agent = setup["ticket"], setup["agent"]
    session = uuid.uuid4()
    beat(client, ticket, session)
    clock.shift(40)
    beat(client, ticket, session)  # 40 s measured... capped to one stretch of 45: 40
    url = reverse("worktime:record", args=[ticket.number])
    response = client.post(url, {"mode": "add", "minutes": "15", "note": "puhelu"})
    assert response.status_code == 200
    assert services.agent_seconds(ticket, agent) == 40 + 15 * 60
    # The agent says the whole work took 25 minutes.
    response = client.post(url, {"mode": "set", "minutes": "25"})
    assert response.status_code == 200
    assert services.agent_seconds(ticket, agent) == 25 * 60
    correction = WorkEntry.objects.get(source=EntrySource.CORRECTION)
    assert correction.seconds == 25 * 60 - (40 + 15 * 60)
    assert correction.recorded_by == agent and correction.created_at == NOW + timedelta(seconds=40)
    # The measured row stays as it was measured.
    assert WorkEntry.objects.get(session=session).seconds == 40
    html = response.content.decode()
    assert "25 min" in html and "puhelu" in html


def test_invalid_minutes_and_other_peoples_time(client, setup, make_user):
    url = reverse("worktime:record", args=[setup["ticket"].number])
    assert client.post(url, {"minutes": "lots"}).status_code == 400
    assert client.post(url, {"minutes": "0", "mode": "add"}).status_code == 400
    assert client.post(url, {"minutes": "100000"}).status_code == 400
    colleague = make_user(teams=(setup["support"],))
    response = client.post(url, {"minutes": "5", "agent": str(colleague.pk)})
    assert response.status_code == 400
    assert not WorkEntry.objects.filter(agent=colleague).exists()


def test_a_manager_may_correct_an_agents_time(client, setup, make_user):
    manager = make_user(role=Role.MANAGER, teams=(setup["support"],))
    client.login(username=manager.email, password=PASSWORD)
    url = reverse("worktime:record", args=[setup["ticket"].number])
    response = client.post(url, {"minutes": "30", "mode": "set", "agent": str(setup["agent"].pk)})
    assert response.status_code == 200
    entry = WorkEntry.objects.get()
    assert (entry.agent, entry.recorded_by, entry.seconds) == (setup["agent"], manager, 1800)


def test_the_ticket_page_shows_the_panel(client, setup):
    services.add_minutes(setup["ticket"], setup["agent"], 12, actor=setup["agent"])
    page = client.get(setup["ticket"].get_absolute_url()).content.decode()
    assert 'id="worktime-panel"' in page
    assert reverse("worktime:beat", args=[setup["ticket"].number]) in page
    assert "12 min" in page
    assert "worktime/worktime.js" in page


def test_handling_rows_sum_per_agent_team_type_and_ticket(setup, make_user, make_ticket):
    agent, ticket, hidden = setup["agent"], setup["ticket"], setup["hidden"]
    other = make_user(teams=(setup["support"],), name="Olli Toinen")
    second = make_ticket(subject="Toinen", team=setup["support"])
    services.add_minutes(ticket, agent, 10, actor=agent)
    services.add_minutes(second, agent, 5, actor=agent)
    services.add_minutes(ticket, other, 20, actor=other)
    services.add_minutes(hidden, other, 60, actor=other)  # a restricted team's ticket
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    visible = Ticket.objects.visible_to(agent)
    by_agent = metrics.handling_rows(visible, start, end, "agent")
    assert [(r.label, r.minutes, r.tickets) for r in by_agent] == [
        ("Olli Toinen", 20, 1),
        ("Aki Agentti", 15, 2),
    ]
    by_team = metrics.handling_rows(visible, start, end, "team")
    assert [(r.label, r.minutes) for r in by_team] == [("Asiakastuki", 35)]
    by_ticket = metrics.handling_rows(visible, start, end, "ticket")
    assert by_ticket[0].key == str(ticket.number) and by_ticket[0].minutes == 30
    assert metrics.handling_rows(visible, start, end, "type")[0].minutes == 35
    everything = Ticket.objects.all()
    assert metrics.total_seconds(everything, start, end) == 95 * 60
    assert metrics.total_seconds(visible, start, end, agent=agent) == 15 * 60
    # Outside the period: nothing.
    assert metrics.handling_rows(visible, end, end + timedelta(days=1)) == []
