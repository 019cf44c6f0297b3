"""The handling time report page: who sees whose time, the period, the groupings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.worktime import services

from ..conftest import PASSWORD

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def desk(make_user, make_team, make_ticket):
    with time_machine.travel(NOW, tick=False):
        support = make_team("Asiakastuki")
        secret = make_team("Johdon asiat", restricted=True)
        manager = make_user(role=Role.MANAGER, teams=(support,), name="Maija Manageri")
        aki = make_user(teams=(support,), name="Aki Agentti")
        olli = make_user(teams=(support, secret), name="Olli Osaaja")
        light = make_user(role=Role.LIGHT_AGENT, teams=(support,))
        ticket = make_ticket(subject="Lasku väärin", team=support)
        hidden = make_ticket(subject="Salainen", team=secret)
        services.add_minutes(ticket, aki, 10, actor=aki)
        services.add_minutes(ticket, olli, 20, actor=olli)
        services.add_minutes(hidden, olli, 45, actor=olli)
    return {"manager": manager, "aki": aki, "olli": olli, "light": light, "ticket": ticket}


def get(client, user, **params):
    client.login(username=user.email, password=PASSWORD)
    with time_machine.travel(NOW, tick=False):
        return client.get(reverse("reports:handling"), params)


def test_manager_sees_everyone_but_not_the_restricted_ticket(client, desk):
    response = get(client, desk["manager"], start="2026-12-01", end="2026-12-31", by="agent")
    assert response.status_code == 200
    rows = [(r.label, r.minutes) for r in response.context["rows"]]
    assert rows == [("Olli Osaaja", 20), ("Aki Agentti", 10)]
    assert response.context["total_seconds"] == 30 * 60


def test_agent_sees_own_time_only(client, desk):
    response = get(client, desk["olli"], start="2026-12-01", end="2026-12-31", by="ticket")
    rows = [(r.key, r.minutes) for r in response.context["rows"]]
    # Olli is in the restricted team: his time on its ticket is his to see.
    assert [m for _k, m in rows] == [45, 20]
    assert str(desk["ticket"].number) in [k for k, _m in rows]
    assert f'href="/tickets/{desk["ticket"].number}/"' in response.content.decode()


def test_period_outside_the_work_is_empty_and_defaults_work(client, desk):
    response = get(client, desk["manager"], start="2026-11-01", end="2026-11-30", by="team")
    assert response.context["rows"] == []
    assert get(client, desk["manager"]).context["total_seconds"] == 30 * 60
    bad = get(client, desk["manager"], start="2026-12-10", end="2026-12-01", by="agent")
    assert bad.status_code == 200 and bad.context["form"].errors


def test_light_agents_have_no_report(client, desk):
    assert get(client, desk["light"]).status_code == 403
