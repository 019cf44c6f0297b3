"""The monthly replies (reports.monthly_replies): they equal a recount from
the reply rows however the tickets change, and the agents page's replies
read from them (whole months) and the reply rows (edges) are the replies
read from the reply rows alone, for every kind of viewer and filter."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.reports import metrics, monthly, monthly_replies, periods
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import MonthlyReplies, ReplyFact
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, Via

from .conftest import LONG

ROLLUP = MonthlyReplies._meta.db_table


def replies_total() -> int:
    return sum(MonthlyReplies.objects.values_list("replies", flat=True))


def test_kept_by_every_refresh_equals_a_recount(spread):
    assert list(monthly_replies.verify()) == []
    assert replies_total() == ReplyFact.objects.count() > 0


def test_follows_a_reply_a_move_and_a_merge(
    spread, make_team, django_capture_on_commit_callbacks
):
    other = make_team("Laskutus")
    first, second = Ticket.objects.filter(subject="Kuukausi").order_by("pk")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(
            first,
            kind=MessageKind.PUBLIC,
            text="Vielä yksi vastaus.",
            actor=spread.agent,
            via=Via.AGENT,
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(first, actor=spread.agent, via=Via.AGENT, team=other)
    with django_capture_on_commit_callbacks(execute=True):
        actions.merge_tickets(second, first, actor=spread.agent, via=Via.AGENT)
    assert list(monthly_replies.verify()) == []
    assert replies_total() == ReplyFact.objects.count()
    moved = MonthlyReplies.objects.filter(team=other).values_list("replies", flat=True)
    assert sum(moved) == ReplyFact.objects.filter(ticket=first).count() > 1


def test_verify_names_a_cell_out_of_step(spread):
    row = MonthlyReplies.objects.filter(replies__gt=0).first()
    MonthlyReplies.objects.filter(pk=row.pk).update(replies=row.replies + 1)
    assert any("monthly replies" in line for line in monthly_replies.verify())
    monthly_replies.rebuild()
    assert list(monthly_replies.verify()) == []


@pytest.mark.parametrize("narrowed_by", ["", "team", "priority"])
def test_agents_replies_from_the_rollup_equal_the_reply_rows(
    spread, admin_user, monkeypatch, narrowed_by
):
    users = [spread.manager, spread.agent, spread.outsider, spread.secret.assignee, admin_user]
    params = {
        "": {},
        "team": {"team": [str(spread.team.pk)]},
        "priority": {"priority": [Ticket.objects.values_list("priority", flat=True).first()]},
    }[narrowed_by]
    compared = 0
    for user in users:
        read = []
        for months in (1, 10**6):
            monkeypatch.setattr(monthly, "MIN_MONTHS", months)
            scope = Scope(
                user=user, period=periods.parse(LONG), filters=ReportFilters.from_params(params)
            )
            with CaptureQueriesContext(connection) as captured:
                replies, _csat = metrics._people_reads(scope)
            rolled = any(ROLLUP in q["sql"] for q in captured.captured_queries)
            # The rollup is read for long periods unless a filter needs the ticket.
            assert rolled == (months == 1 and "priority" not in params), (user.email, months)
            read.append({column: Counter(dict(c)) for column, c in replies.items()})
        assert read[0] == read[1], (user.email, params)
        compared += sum(read[0]["assignee_id"].values())
    assert compared > 0
