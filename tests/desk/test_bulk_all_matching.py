""" "Select all N matching tickets": a bulk change of a whole view, across its pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tiski.desk import bulk, inbox
from tiski.tickets.models import BulkChange, Priority, Ticket


@pytest.fixture
def agent(make_user, make_team):
    return make_user(language="en", teams=(make_team("Asiakastuki"),), email="minna@yritys.fi")


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def tickets(make_ticket, settings):
    settings.TISKI_PAGE_SIZE = 2
    high = [make_ticket(subject=f"Kiire {i}", priority=Priority.HIGH) for i in range(3)]
    normal = make_ticket(subject="Ei kiire", priority=Priority.NORMAL)
    return high, normal


def _post_all(client, query: str, **data) -> object:
    return client.post(
        reverse("desk:bulk"),
        {"scope": "all", "scope_query": query, "op": "update", "next": "/?" + query, **data},
    )


def test_the_bar_offers_every_matching_ticket_when_there_are_more_pages(agent_client, tickets):
    page = agent_client.get("/?view=open&priority=high").content.decode()
    assert 'id="bulk-select-matching"' in page
    assert "Select all 3 matching tickets" in page
    assert "(at most 5000 at a time)" in page.replace("\u00a0", "").replace(",", "")
    assert 'name="scope_query" value="view=open&amp;priority=high"' in page


def test_one_page_of_results_offers_nothing_more(agent_client, tickets, settings):
    settings.TISKI_PAGE_SIZE = 50
    assert 'id="bulk-select-matching"' not in agent_client.get("/?view=open").content.decode()


def test_the_change_applies_to_every_ticket_of_the_view_and_filters_with_one_undo(
    agent_client, tickets
):
    high, normal = tickets
    response = _post_all(agent_client, "view=open&priority=high", status="pending")
    assert response.status_code == 302
    assert {t.status for t in Ticket.objects.filter(pk__in=[t.pk for t in high])} == {"pending"}
    assert Ticket.objects.get(pk=normal.pk).status != "pending"  # not in the filter
    record = BulkChange.objects.get()
    assert record.changed_count == 3
    agent_client.post(reverse("desk:bulk-undo", args=[record.pk]), {"next": "/"})
    assert "pending" not in set(Ticket.objects.values_list("status", flat=True))


def test_tickets_the_agent_cannot_see_are_never_touched(
    agent_client, tickets, make_team, make_ticket
):
    secret = make_ticket(priority=Priority.HIGH, team=make_team("Johto", restricted=True))
    _post_all(agent_client, "view=open&priority=high", priority="low")
    assert Ticket.objects.get(pk=secret.pk).priority == Priority.HIGH
    assert Ticket.objects.filter(priority="low").count() == 3


def test_the_cap_limits_the_tickets_taken(agent_client, tickets, monkeypatch):
    monkeypatch.setattr(inbox, "SELECT_ALL_CAP", 2)
    _post_all(agent_client, "view=open&priority=high", priority="low")
    assert Ticket.objects.filter(priority="low").count() == 2


def test_a_large_set_is_changed_in_the_background_and_can_be_undone(
    agent_client, tickets, monkeypatch, django_capture_on_commit_callbacks
):
    """Over the inline limit: the page answers at once, a task makes the change
    after the commit, and the list then shows its banner with one Undo."""
    monkeypatch.setattr(bulk, "MAX_TICKETS", 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_all(agent_client, "view=open&priority=high", priority="urgent")
    page = agent_client.get(response["Location"]).content.decode()
    assert "3 tickets are being changed in the background." in page
    assert Ticket.objects.filter(priority="urgent").count() == 3
    assert 'id="bulk-undo"' in page and "3 tickets changed." in page
    record = BulkChange.objects.get()
    agent_client.post(reverse("desk:bulk-undo", args=[record.pk]), {"next": "/"})
    assert not Ticket.objects.filter(priority="urgent").exists()


def test_merging_a_whole_view_is_refused(agent_client, tickets):
    response = _post_all(agent_client, "view=open", op="merge")
    page = agent_client.get(response["Location"]).content.decode()
    assert "Merging works on tickets ticked one by one, not a whole view." in page
    assert not BulkChange.objects.exists()
