"""update_rows writes many rows' changes in one statement, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from tiski.core.bulk import update_rows
from tiski.tickets.models import Ticket


def test_update_rows_writes_each_rows_own_values(make_ticket, make_team, django_assert_num_queries):
    team = make_team("Laskutus")
    tickets = [make_ticket(subject=f"Asia {n}") for n in range(5)]
    moments = [datetime(2025, 1, n + 1, 9, 30, tzinfo=UTC) for n in range(5)]
    for ticket, moment, n in zip(tickets, moments, range(5), strict=True):
        ticket.subject = f"Uusi {n}"
        ticket.last_customer_message_at = moment if n % 2 else None
        ticket.team = team if n < 3 else None
        ticket.priority_rank = n
    with django_assert_num_queries(1):
        update_rows(
            Ticket, tickets, ["subject", "last_customer_message_at", "team", "priority_rank"]
        )
    stored = {t.pk: t for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    for ticket, moment, n in zip(tickets, moments, range(5), strict=True):
        row = stored[ticket.pk]
        assert row.subject == f"Uusi {n}"
        assert row.last_customer_message_at == (moment if n % 2 else None)
        assert row.team_id == (team.pk if n < 3 else None)
        assert row.priority_rank == n
        assert row.status == "new"  # fields not named are left alone


def test_update_rows_with_nothing_to_do_runs_no_query(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        update_rows(Ticket, [], ["subject"])
