"""Team workload: a lead sees their team's unsolved tickets per agent, breaching
ones and the longest wait; other agents and other teams' leads do not."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tiski.accounts.models import Role
from tiski.tickets.models import Status, Ticket


@pytest.fixture
def desk(make_team, make_user, make_ticket):
    tuki, myynti = make_team("Tuki"), make_team("Myynti")
    sanna = make_user(name="Sanna Lead", teams=(tuki,), language="en")
    tuki.leads.add(sanna)
    aino = make_user(name="Aino Agentti", teams=(tuki,))
    bertta = make_user(name="Bertta Berg", teams=(tuki,))
    cecilia = make_user(name="Cecilia Myyjä", teams=(myynti,))
    for _ in range(3):
        make_ticket(team=tuki, assignee=aino)
    late = make_ticket(team=tuki, assignee=aino, subject="Myöhässä")
    Ticket.objects.filter(pk=late.pk).update(queue_due_at=timezone.now() - timedelta(hours=2))
    make_ticket(team=tuki, assignee=bertta)
    make_ticket(team=tuki)  # unassigned
    solved = make_ticket(team=tuki, assignee=bertta)
    Ticket.objects.filter(pk=solved.pk).update(status=Status.SOLVED)
    make_ticket(team=myynti, assignee=cecilia)
    return {"tuki": tuki, "myynti": myynti, "sanna": sanna, "aino": aino, "cecilia": cecilia}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cells(page: str, agent: str) -> dict[str, str]:
    row = re.search(rf'<tr data-agent="{agent}">(.*?)</tr>', page, re.S).group(1)
    return dict(re.findall(r'data-count="(\w+)">([^<]*)<', row))


def test_a_lead_sees_the_team_per_agent(desk):
    response = _client(desk["sanna"]).get(reverse("reports:workload"))
    assert response.status_code == 200
    page = response.content.decode()
    aino = _cells(page, desk["aino"].pk)
    assert aino["open"] == "4" and aino["breaching"] == "1"
    assert _cells(page, "none")["open"] == "1"
    assert _cells(page, desk["sanna"].pk)["open"] == "0"
    # The solved ticket and the other team's are not counted.
    assert "6 unsolved tickets" in page and "Cecilia" not in page
    # Each number opens the same tickets in the desk's list.
    row = re.search(rf'<tr data-agent="{desk["aino"].pk}">(.*?)</tr>', page, re.S).group(1)
    for kind, count in (("open", 4), ("breaching", 1)):
        url = re.search(rf'href="([^"]+)"[^>]*data-count="{kind}"', row).group(1)
        listing = _client(desk["sanna"]).get(url.replace("&amp;", "&")).content.decode()
        assert listing.count("data-ticket-id=") == count, kind


def test_only_leads_managers_and_admins_see_it(desk, make_user):
    assert _client(desk["aino"]).get(reverse("reports:workload")).status_code == 403
    # Sanna leads Tuki only: Myynti is not hers to read.
    other = _client(desk["sanna"]).get(reverse("reports:workload"), {"team": desk["myynti"].pk})
    assert other.status_code == 404
    admin = make_user(role=Role.ADMIN)
    page = _client(admin).get(reverse("reports:workload"), {"team": desk["myynti"].pk})
    assert page.status_code == 200
    assert _cells(page.content.decode(), desk["cecilia"].pk)["open"] == "1"


def test_the_reports_menu_offers_it_to_leads_only(desk):
    lead_page = _client(desk["sanna"]).get(reverse("reports:overview")).content.decode()
    agent_page = _client(desk["aino"]).get(reverse("reports:overview")).content.decode()
    assert 'id="workload-link"' in lead_page and 'id="workload-link"' not in agent_page
