"""The reads that keep the pages small at scale (docs/reports.md, Reading the facts quickly).

- The period reads of the pages ("created in", "solved in") use only the
  columns the `fact_created` / `fact_solved` indexes carry, so PostgreSQL
  answers them by an index-only scan; a column added to such a read without
  adding it to the index would quietly send every page back to the table.
- An organisation's CSAT read through the facts equals the same figure read
  through the tickets and contacts.
- `tiski report --rebuild` leaves the report tables vacuumed on PostgreSQL
  (the visibility map index-only scans depend on).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from tiski.customers.models import Organisation
from tiski.reports import facts, metrics, periods
from tiski.reports.metrics import Scope
from tiski.reports.models import TicketFact
from tiski.surveys.models import SurveyInvitation

from .conftest import at

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
TABLE = TicketFact._meta.db_table
COLUMN = re.compile(rf'"{TABLE}"\."(\w+)"')


def index_columns(name: str) -> set[str]:
    index = next(i for i in TicketFact._meta.indexes if i.name == name)
    return {TicketFact._meta.get_field(f).column for f in (*index.fields, *index.include)}


def period_reads(sql_list: list[str]) -> list[tuple[str, set[str]]]:
    """(index name, fact columns read) of each query that aggregates the facts
    of a created or solved period straight from the facts table."""
    reads = []
    for sql in sql_list:
        if f'FROM "{TABLE}"' not in sql or " JOIN " in sql:
            continue
        # The next-reply lists are read from the table on purpose (JSON lists,
        # too wide for the index): docs/reports.md.
        if "next_reply" in sql:
            continue
        created = f'"{TABLE}"."created_at" >=' in sql
        solved = f'"{TABLE}"."solved_at" >=' in sql
        if created == solved:
            continue
        reads.append(("fact_created" if created else "fact_solved", set(COLUMN.findall(sql))))
    return reads


@pytest.mark.parametrize("name", ["volume", "response", "agents", "customers"])
def test_period_reads_stay_inside_the_covering_indexes(history, name):
    checked = 0
    for user in (history.manager, history.agent):
        scope = Scope(user=user, period=periods.parse(JANUARY))
        with CaptureQueriesContext(connection) as captured:
            metrics.run(name, scope)
        for index, columns in period_reads([q["sql"] for q in captured.captured_queries]):
            missing = columns - index_columns(index)
            assert not missing, f"{name} reads {sorted(missing)} beyond {index}"
            checked += 1
    assert checked, f"{name} has no period read of the facts to check"


def test_the_check_sees_a_column_outside_the_index():
    # The guard itself: a created-period read of the mailbox is caught.
    sql = str(
        TicketFact.objects.filter(created_at__gte=at(2026, 1, 1))
        .values("mailbox")
        .annotate(n=Count("pk"))
        .query
    )
    [(index, columns)] = period_reads([sql])
    assert index == "fact_created"
    assert columns - index_columns(index) == {"mailbox"}


def test_organisation_csat_from_the_facts_equals_the_join_through_tickets(history):
    acme = Organisation.objects.create(name="Acme Oy")
    other = Organisation.objects.create(name="Muu Oy")
    owners = {
        history.weekend: acme,
        history.reopened: acme,
        history.pending: other,
        history.secret: acme,  # a restricted team's ticket: not counted by outsiders
    }
    scores = {history.weekend: 5, history.reopened: 2, history.pending: 4, history.secret: 1}
    for ticket, organisation in owners.items():
        requester = ticket.requester
        requester.organisation = organisation
        requester.save(update_fields=["organisation"])
        SurveyInvitation.objects.create(
            kind="csat",
            ticket=ticket,
            contact=requester,
            agent=ticket.assignee,
            team=ticket.team,
            sent_at=ticket.created_at + timedelta(days=2),
            answered_at=ticket.created_at + timedelta(days=3),
            score=scores[ticket],
        )
    # One sent, not answered: counts in no rate.
    SurveyInvitation.objects.create(
        kind="csat",
        ticket=history.merge_target,
        contact=history.merge_target.requester,
        agent=history.agent,
        sent_at=at(2026, 1, 22, 9),
    )
    facts.refresh([t.pk for t in history.tickets])
    period = periods.parse(JANUARY)
    for user in (history.manager, history.agent, history.outsider):
        scope = Scope(user=user, period=period)
        joined = metrics.csat_by(
            metrics._surveys(scope, "csat", period), "ticket__requester__organisation_id"
        )
        assert metrics.csat_by_fact(scope, period, "organisation_id") == joined
    # Known answer for the manager: Acme 5 and 2 (the 1 is the restricted
    # team's), Muu Oy 4.
    manager = Scope(user=history.manager, period=period)
    got = metrics.csat_by_fact(manager, period, "organisation_id")
    assert got[acme.pk] == pytest.approx(50.0)
    assert got[other.pk] == pytest.approx(100.0)


@pytest.mark.django_db(transaction=True)
def test_rebuild_vacuums_the_report_tables_on_postgresql(make_ticket):
    if connection.vendor != "postgresql":
        assert facts.vacuum_report_tables() is False
        return
    ticket = make_ticket(subject="Imuroitava")
    facts.refresh([ticket.pk])
    assert facts.vacuum_report_tables() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = %s", [TABLE])
        assert cursor.fetchone()[0] > 0


def rankings_one_by_one(created_in) -> dict[str, list[tuple[int, int]]]:
    """The customers page's three contact lists as three queries of their own."""

    def top(expression, size: int, positive: bool) -> list[tuple[int, int]]:
        qs = created_in.values("requester_id").annotate(n=expression)
        if positive:
            qs = qs.filter(n__gt=0)
        return list(qs.order_by("-n", "requester_id")[:size].values_list("requester_id", "n"))

    return {
        "n": top(Count("pk"), 25, False),
        "reopened": top(Sum("reopen_count"), 10, True),
        "breached": top(Count("pk", filter=metrics.BREACHED), 10, True),
    }


def test_contact_rankings_in_one_read_equal_three_queries(history, make_ticket, make_contact):
    # 30 contacts with ties in every list: 1-3 tickets each, some reopened,
    # some breached (set on the facts directly: this tests the read).
    contacts = [make_contact() for _ in range(30)]
    for i, contact in enumerate(contacts):
        for j in range(1 + i % 3):
            ticket = make_ticket(
                subject=f"Asiakas {i}/{j}",
                requester=contact,
                team=history.team,
                assignee=history.agent,
                created_at=at(2026, 1, 5 + j, 9),
            )
            facts.refresh([ticket.pk])
            TicketFact.objects.filter(pk=ticket.pk).update(
                reopen_count=(i * j) % 4, fr_breached=(i + j) % 5 == 0
            )
    for user in (history.manager, history.agent, history.outsider):
        scope = Scope(user=user, period=periods.parse(JANUARY))
        created_in = scope.facts().filter(
            created_at__gte=scope.period.start, created_at__lt=scope.period.end
        )
        expected = rankings_one_by_one(created_in)
        assert len(expected["n"]) == 25 and len(expected["reopened"]) == 10
        assert metrics._contact_rankings(created_in) == expected
        # The same read also counts the period's tickets.
        _rankings, total = metrics._contact_rankings_and_total(created_in)
        assert total == created_in.count()
        summary = {f.key: f.value.value for f in metrics.customers(scope).summary}
        assert summary["created"] == total
    assert total > 0  # the last user (an outsider) still counts the team's tickets


def test_customers_of_an_inactive_account_are_empty(history):
    # Scope narrows an inactive account to no rows at all (qs.none()): the
    # reads built from compiled SQL must give empty figures, not fail.
    history.manager.is_active = False
    scope = Scope(user=history.manager, period=periods.parse(JANUARY))
    result = metrics.customers(scope)
    assert result.table("by_contact").rows == []
    assert result.table("most_reopened").rows == []
    assert metrics.csat_by_fact(scope, scope.period, "organisation_id") == {}
