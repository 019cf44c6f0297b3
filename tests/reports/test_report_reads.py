"""The shortened reads give the figures of their definitions.

The volume page reads the backlog as "unsolved now, minus created since,
plus solved since" and the response page computes both periods in one read
(docs/reports.md, Reading the facts quickly); these check both against the
definitions on the hand-built history, on the rollup and on the facts path.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db.models import Q

from tiski.reports import metrics, periods
from tiski.reports.aggregates import list_stats, lists_stats
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import TicketFact

PERIODS = [
    {"from": "2026-01-01", "to": "2026-01-31"},  # the history's month
    {"from": "2026-01-05", "to": "2026-01-09"},  # a week inside it
    {"from": "2025-11-01", "to": "2025-11-30"},  # before every ticket
    {"from": "2026-02-01", "to": "2026-03-31"},  # after: tickets solved since
]


def backlog_by_definition(scope: Scope, moment: datetime) -> int:
    facts = scope.facts()
    return facts.filter(created_at__lt=moment).count() - facts.filter(solved_at__lt=moment).count()


@pytest.mark.parametrize("params", PERIODS)
@pytest.mark.parametrize("path", ["rollup", "facts"])
def test_backlog_is_created_minus_solved_before_each_moment(history, admin_user, params, path):
    # An organisation filter sends the volume report to the facts instead
    # of the rollup; "none" keeps the history's tickets (no organisation).
    filters = ReportFilters(organisation=["none"]) if path == "facts" else ReportFilters()
    for user in (history.manager, admin_user, history.agent):
        scope = Scope(user=user, period=periods.parse(params), filters=filters)
        assert metrics._Volume.of(scope).rolled == (path == "rollup")
        period, previous = scope.period, scope.previous
        got = metrics._volume_totals(scope, [period, previous], backlog_at=period.start)
        assert got[0]["backlog"] == backlog_by_definition(scope, period.end)
        assert got[1]["backlog"] == backlog_by_definition(scope, previous.end)
        assert got[2]["backlog"] == backlog_by_definition(scope, period.start)
        assert (
            got[0]["created"]
            == scope.facts().filter(created_at__gte=period.start, created_at__lt=period.end).count()
        )


def test_january_backlog_known_answer(history):
    scope = Scope(user=history.manager, period=periods.parse(PERIODS[0]))
    got = metrics._volume_totals(scope, [scope.period], backlog_at=scope.period.start)
    # The merge target is still open at the end of January; nothing before it.
    assert got[0]["backlog"] == 1
    assert got[1]["backlog"] == 0


def test_previous_period_read_together_equals_it_read_alone(history):
    scope = Scope(
        user=history.manager, period=periods.parse({"from": "2026-02-01", "to": "2026-02-28"})
    )
    alone = Scope(user=history.manager, period=scope.previous, compare=False)
    together = {f.key: f.value.previous for f in metrics.response(scope).summary}
    own = {f.key: f.value.value for f in metrics.response(alone).summary}
    assert together == own
    # The previous period holds the history's January: not a comparison of empties.
    assert own["first_reply_median"] is not None
    assert own["next_reply_median"] is not None


def test_list_stats_of_several_columns_and_groups_in_one_read(history):
    TicketFact.objects.filter(pk=history.weekend.pk).update(
        next_reply_seconds=[10, 20, 30], next_reply_business=[1, 2, 3]
    )
    TicketFact.objects.filter(pk=history.reopened.pk).update(
        next_reply_seconds=[5], next_reply_business=[50]
    )
    rows = TicketFact.objects.filter(pk__in=[history.weekend.pk, history.reopened.pk])
    groups = [Q(pk=history.weekend.pk), Q(), Q(pk=-1)]
    got = lists_stats(rows, ["next_reply_seconds", "next_reply_business"], groups)
    for group, per in zip(groups, got, strict=True):
        for column in ("next_reply_seconds", "next_reply_business"):
            assert per[column] == list_stats(rows.filter(group), column)
    assert got[0]["next_reply_business"] == {"median": 2.0, "mean": 2.0, "p90": 3.0}
    assert got[1]["next_reply_seconds"]["median"] == 15.0
    assert got[2]["next_reply_seconds"] == {"median": None, "mean": None, "p90": None}
