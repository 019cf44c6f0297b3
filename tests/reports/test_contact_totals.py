"""Each contact's all-time totals (reports.contact_totals) follow the facts,
and the customers page's contact lists ranked by them are exactly the lists
of one grouping of the whole period, whoever looks and however narrowed,
in one batch or many, and when the ranking gives up and groups after all."""

from __future__ import annotations

import pytest

from tiski.reports import contact_totals, facts, metrics, periods
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import ContactTotals, TicketFact
from tiski.tickets import actions
from tiski.tickets.models import Ticket, Via

from .conftest import LONG


@pytest.fixture
def crowd(spread, make_contact):
    """The spread's tickets shared among a few contacts, unevenly, so the
    lists have ties and contacts of every size."""
    contacts = [make_contact(name=f"Asiakas {i}", email=f"asiakas{i}@example.fi") for i in range(5)]
    for i, ticket in enumerate(Ticket.objects.order_by("pk")):
        Ticket.objects.filter(pk=ticket.pk).update(requester=contacts[(i * i) % 5])
    facts.refresh(Ticket.objects.values_list("pk", flat=True))
    return spread


def test_totals_follow_every_refresh(crowd, django_capture_on_commit_callbacks):
    assert list(contact_totals.verify()) == []
    counted = TicketFact.objects.filter(merged=False).count()
    assert sum(ContactTotals.objects.values_list("tickets", flat=True)) == counted
    first, second = Ticket.objects.filter(subject="Kuukausi").order_by("pk")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        actions.merge_tickets(second, first, actor=crowd.agent, via=Via.AGENT)
    assert list(contact_totals.verify()) == []
    assert sum(ContactTotals.objects.values_list("tickets", flat=True)) == counted - 1


def test_verify_names_a_contact_out_of_step(crowd):
    row = ContactTotals.objects.filter(tickets__gt=0).first()
    ContactTotals.objects.filter(pk=row.pk).update(tickets=row.tickets + 1)
    assert any(f"contact totals {row.pk}:" in line for line in contact_totals.verify())
    contact_totals.rebuild()
    assert list(contact_totals.verify()) == []


@pytest.mark.parametrize(
    "batches", [(250, 2000, 6000), (1, 2, 6000), (1, 1, 2)], ids=["one", "many", "gives-up"]
)
def test_lists_by_the_totals_equal_one_grouping(crowd, admin_user, monkeypatch, batches):
    first, size, budget = batches
    monkeypatch.setattr(metrics, "CONTACT_FIRST_BATCH", first)
    monkeypatch.setattr(metrics, "CONTACT_BATCH", size)
    monkeypatch.setattr(metrics, "CONTACT_BUDGET", budget)
    users = [crowd.manager, crowd.agent, crowd.outsider, crowd.secret.assignee, admin_user]
    compared = gave_up = 0
    for user in users:
        for params in ({}, {"team": [str(crowd.team.pk)]}):
            scope = Scope(
                user=user, period=periods.parse(LONG), filters=ReportFilters.from_params(params)
            )
            created_in = scope.facts().filter(
                created_at__gte=scope.period.start, created_at__lt=scope.period.end
            )
            want, total = metrics._contact_rankings_and_total(created_in)
            got = metrics._contact_rankings_by_bounds(created_in)
            if budget == 2:
                # Too many contacts to count one by one: the page groups.
                assert got is None or got == want
                gave_up += got is None
            else:
                assert got == want, (user.email, params)
            page = metrics.customers(scope)
            assert next(f.value.value for f in page.summary if f.key == "created") == total
            compared += len(want["n"])
    assert compared > 0
    assert (gave_up > 0) == (budget == 2)
