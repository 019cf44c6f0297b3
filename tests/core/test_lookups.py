"""``__in`` with a list is one array parameter on PostgreSQL (tiski/core/lookups.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.customers.models import Contact
from tiski.tickets.models import Message, Ticket

on_postgresql = connection.vendor == "postgresql"


def template(queryset) -> tuple[str, tuple]:  # type: ignore[no-untyped-def]
    return queryset.query.sql_with_params()


@pytest.fixture
def tickets(make_ticket):
    made = [make_ticket(subject=f"Tilaus {n}") for n in range(4)]
    for ticket in made:
        ticket.messages.update(external_id=f"m{ticket.pk}")
    return made


def test_the_same_rows_as_one_by_one(tickets):
    wanted = [tickets[0].pk, tickets[2].pk, None, 10**9]
    assert set(Ticket.objects.filter(pk__in=wanted).values_list("pk", flat=True)) == {
        tickets[0].pk,
        tickets[2].pk,
    }
    # A foreign key by id and by instance, text, a subquery, and nothing at all.
    assert Message.objects.filter(ticket_id__in=wanted).count() == 2
    assert Message.objects.filter(ticket__in=[tickets[1], tickets[3]]).count() == 2
    assert Message.objects.filter(external_id__in=[f"m{tickets[1].pk}", "x"]).count() == 1
    assert Message.objects.filter(ticket__in=Ticket.objects.filter(pk=tickets[3].pk)).count() == 1
    assert Message.objects.filter(ticket__requester__in=[tickets[0].requester]).count() == 1
    with CaptureQueriesContext(connection) as queries:
        assert list(Ticket.objects.filter(pk__in=[None])) == []
    assert not queries.captured_queries  # nothing to look for: no query
    assert not Contact.objects.filter(pk__in=[]).exists()


@pytest.mark.skipif(not on_postgresql, reason="the array form is PostgreSQL's")
def test_any_number_of_values_is_one_statement_text(tickets):
    few, params_few = template(Ticket.objects.filter(pk__in=[1, 2, 3]))
    many, params_many = template(Ticket.objects.filter(pk__in=range(1, 701)))
    assert few == many
    assert '"tickets_ticket"."id" = ANY(%s)' in few
    assert params_few == ([1, 2, 3],) and len(params_many[0]) == 700
    text, params = template(Message.objects.filter(external_id__in=["a", "b", "a"]))
    assert "= ANY(%s)" in text and params == (["a", "b"],)


@pytest.mark.skipif(not on_postgresql, reason="the array form is PostgreSQL's")
def test_other_values_and_subqueries_are_written_as_before(tickets):
    subquery, _ = template(Message.objects.filter(ticket__in=Ticket.objects.filter(pk__gt=0)))
    assert " IN (SELECT " in subquery and "ANY(" not in subquery
    dated, _ = template(Ticket.objects.filter(created_at__in=[tickets[0].created_at]))
    assert " IN (%s)" in dated and "ANY(" not in dated
    assert Ticket.objects.filter(created_at__in=[tickets[0].created_at]).get() == tickets[0]


@pytest.mark.skipif(on_postgresql, reason="elsewhere Django's own form")
def test_other_databases_keep_the_list(tickets):
    text, params = template(Ticket.objects.filter(pk__in=[1, 2, 3]))
    assert " IN (%s, %s, %s)" in text and params == (1, 2, 3)
