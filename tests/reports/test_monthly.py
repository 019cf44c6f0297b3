"""The monthly rollup (docs/reports.md, "Monthly rollup"): it equals a recount
from the facts however the tickets change, and a page read from it (whole
months) and the facts (the edges) gives the same figures as the facts alone:
counts and means exactly, medians and 90th percentiles within 2.5 %."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from tiski.reports import facts, histogram, histogram_sql, metrics, monthly, periods, stats
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import MonthlyFigure, TicketFact
from tiski.tickets import actions
from tiski.tickets.models import Status, Ticket, TicketMerge, Via

from .conftest import LONG, at

JANUARY = date(2026, 1, 1)
BOUND = 0.025


# --- histograms ---------------------------------------------------------------


def test_histogram_statistics_are_within_the_bound_and_counts_exact():
    rng = random.Random(15)
    for size in (1, 2, 3, 10, 101, 1000):
        values = [int(rng.lognormvariate(8, 2.5)) for _ in range(size)]
        hist = histogram.of(values)
        assert hist.n == size and hist.total == sum(values)
        assert hist.mean() == pytest.approx(stats.mean(values))
        assert hist.median() == pytest.approx(stats.interpolated(values), rel=BOUND)
        assert hist.p90() == pytest.approx(stats.percentile(values), rel=BOUND)


def test_small_and_negative_durations_are_exact_or_mirrored():
    values = [0, 1, 2, 5, 7, 19]
    hist = histogram.of(values)
    assert hist.median() == stats.interpolated(values) == 3.5
    assert hist.p90() == stats.percentile(values) == 19
    assert histogram.middle(histogram.index(-7)) == -7
    big = histogram.index(1_000_000)
    assert histogram.EDGES[big] <= 1_000_000 < histogram.EDGES[big + 1]
    assert (histogram.EDGES[big + 1] - histogram.EDGES[big]) <= 0.05 * histogram.EDGES[big]


# --- kept in step --------------------------------------------------------------


def cell(month: date, team, assignee, figure: str, whole_team: bool = False) -> histogram.Hist:
    return monthly.stored().get(
        (month, getattr(team, "pk", None), getattr(assignee, "pk", None), whole_team, figure),
        histogram.Hist(),
    )


def test_rollup_of_the_hand_built_history_has_the_known_figures(history):
    assert list(monthly.verify()) == []
    team, agent = history.team, history.agent
    # weekend, reopened, pending, merge target (the merged ticket is out)
    assert cell(JANUARY, team, agent, "created").n == 4
    assert cell(JANUARY, team, agent, "solved").n == 3
    assert cell(JANUARY, team, agent, "reopened").n == 1
    assert cell(JANUARY, team, agent, "one_touch").n == 2  # weekend, pending
    first = cell(JANUARY, team, agent, "first_reply")
    # 4 d 18 h over the weekend and Epiphany, 1 h, 30 min, 2 h
    assert (first.n, first.total) == (4, 410_400 + 3_600 + 1_800 + 7_200)
    # The team's cell of all agents holds the same.
    assert cell(JANUARY, team, None, "first_reply", whole_team=True).total == first.total
    # The restricted team's ticket is a cell of its own team.
    secret = cell(JANUARY, history.secret_team, history.secret.assignee, "first_reply")
    assert (secret.n, secret.total) == (1, 3_600)


def test_rollup_follows_moves_reopening_merge_and_undo(
    history, make_team, make_user, django_capture_on_commit_callbacks
):
    other = make_team("Laskutus")
    someone = make_user(teams=(other,))
    ticket = Ticket.objects.get(pk=history.pending.pk)
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actor=history.agent, via=Via.AGENT, team=other)
    with django_capture_on_commit_callbacks(execute=True):
        ticket.refresh_from_db()
        actions.update_ticket(ticket, actor=history.agent, via=Via.AGENT, assignee=someone)
    with django_capture_on_commit_callbacks(execute=True):
        ticket.refresh_from_db()
        actions.update_ticket(
            ticket, actor=history.agent, via=Via.AGENT, status=Status.OPEN, at=at(2026, 2, 2, 9)
        )
    assert list(monthly.verify()) == []
    assert cell(JANUARY, other, someone, "created").n == 1
    assert cell(JANUARY, history.team, history.agent, "created").n == 3
    # Reopened: no longer solved, so its solve-month figures are gone.
    assert cell(JANUARY, other, someone, "solved").n == 0
    assert not MonthlyFigure.objects.filter(team=other, figure="solved").exists()

    record = TicketMerge.objects.get(source=history.merged)
    with django_capture_on_commit_callbacks(execute=True):
        actions.undo_ticket_merge(record, actor=history.agent, via=Via.AGENT)
    assert list(monthly.verify()) == []
    assert cell(JANUARY, history.team, history.agent, "created").n == 4


def test_a_refresh_without_change_moves_nothing(history):
    before = {k: (h.n, h.total, dict(h.buckets)) for k, h in monthly.stored().items()}
    facts.refresh([t.pk for t in history.tickets])
    after = {k: (h.n, h.total, dict(h.buckets)) for k, h in monthly.stored().items()}
    assert after == before


def test_verify_finds_drift_and_rebuild_repairs_it(history, capsys):
    MonthlyFigure.objects.filter(figure="created").update(n=F("n") + 1)
    assert any("monthly" in line for line in monthly.verify())
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", "--verify")
    assert exit_info.value.code == 1
    MonthlyFigure.objects.filter(figure="first_reply").update(hist={})
    call_command("report", "--rebuild")
    assert list(monthly.verify()) == []
    call_command("report", "--verify")
    assert "0 differences" in capsys.readouterr().out


# --- pages read from it -----------------------------------------------------------


def _close(got, want, bucketed: bool, where: str) -> None:
    if got is None or want is None or isinstance(want, str) or isinstance(got, str):
        assert got == want, where
    elif bucketed:
        assert abs(got - want) <= BOUND * abs(want) + 0.01, where
    else:
        assert got == pytest.approx(want, abs=0.011), where


def assert_same_figures(rolled: dict, exact: dict) -> int:
    """Equal figures, medians and 90th percentiles within the bound; how many
    bucketed figures were compared."""
    bucketed_seen = 0
    assert rolled["summary"].keys() == exact["summary"].keys()
    for key, figure in exact["summary"].items():
        bucketed = key.endswith(("_median", "_p90"))
        bucketed_seen += bucketed and figure["value"] is not None
        for part in ("value", "previous"):
            _close(rolled["summary"][key][part], figure[part], bucketed, f"{key} {part}")
    assert rolled["tables"].keys() == exact["tables"].keys()
    for key, table in exact["tables"].items():
        got = rolled["tables"][key]
        assert got["columns"] == table["columns"]
        assert len(got["rows"]) == len(table["rows"]), key
        # Rows with equal counts come in the database's order: compare by label.
        pairs = zip(
            sorted(got["rows"], key=lambda r: str(r[0])),
            sorted(table["rows"], key=lambda r: str(r[0])),
            strict=True,
        )
        for row_got, row_want in pairs:
            for column, a, b in zip(table["columns"], row_got, row_want, strict=True):
                bucketed = column.endswith(("_median", "_p90"))
                bucketed_seen += bucketed and b is not None
                _close(a, b, bucketed, f"{key} {column}")
    return bucketed_seen


def run(name: str, user, monkeypatch, *, months: int, **scope) -> tuple[dict, list[str]]:
    monkeypatch.setattr(monthly, "MIN_MONTHS", months)
    s = Scope(user=user, period=periods.parse(LONG), **scope)
    with CaptureQueriesContext(connection) as captured:
        data = metrics.run(name, s).as_data()
    return data, [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("response", {}),
        ("response", {"by": "agent"}),
        ("response", {"filters": ReportFilters(team=["none"])}),
        ("agents", {}),
    ],
)
def test_pages_read_from_the_rollup_equal_the_facts(spread, admin_user, monkeypatch, name, scope):
    history = spread
    users = [history.manager, history.agent, history.outsider, history.secret.assignee, admin_user]
    bucketed = 0
    for user in users:
        rolled, sql = run(name, user, monkeypatch, months=1, **scope)
        assert any(MonthlyFigure._meta.db_table in q for q in sql), "the rollup was not read"
        exact, sql = run(name, user, monkeypatch, months=10**6, **scope)
        assert not any(MonthlyFigure._meta.db_table in q for q in sql)
        bucketed += assert_same_figures(rolled, exact)
    assert bucketed  # the medians were compared, not only empty cells


def test_an_outsider_counts_no_restricted_ticket_from_the_rollup(spread, admin_user, monkeypatch):
    history = spread
    admin, _sql = run("response", admin_user, monkeypatch, months=1, by="team")
    outsider, _sql = run("response", history.outsider, monkeypatch, months=1, by="team")
    teams = {row[0]: row[1] for row in admin["tables"]["by_team"]["rows"]}
    assert teams[history.secret_team.name] == 2  # January's and February's: whole months
    seen = {row[0]: row[1] for row in outsider["tables"]["by_team"]["rows"]}
    assert history.secret_team.name not in seen
    # Not in Myynti, but its tickets are assigned to the outsider: one in
    # January (a whole month, from the rollup), one in November's edge.
    assert seen["Myynti"] == teams["Myynti"] == 2


def test_short_periods_and_other_filters_read_the_facts(spread, monkeypatch):
    history = spread
    monkeypatch.setattr(monthly, "MIN_MONTHS", 1)
    scope = Scope(user=history.manager, period=periods.parse(LONG))
    assert scope.monthly(scope.period) is not None
    for filters in (ReportFilters(channel=["email"]), ReportFilters(organisation=["1"])):
        scope = Scope(user=history.manager, period=periods.parse(LONG), filters=filters)
        assert scope.monthly(scope.period) is None
    monkeypatch.setattr(monthly, "MIN_MONTHS", 6)
    scope = Scope(user=history.manager, period=periods.parse(LONG))
    assert scope.monthly(scope.period) is None  # three whole months
    year = Scope(user=history.manager, period=periods.parse({"period": "last_year"}))
    assert year.monthly(year.period) is not None


def test_split_into_whole_months_and_edges(db):  # the desk time zone is a database row
    parts = monthly.split(periods.parse(LONG))
    assert parts.months == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]
    assert parts.edges == [
        (periods.local_midnight(date(2025, 11, 15)), periods.local_midnight(date(2025, 12, 1))),
        (periods.local_midnight(date(2026, 3, 1)), periods.local_midnight(date(2026, 3, 21))),
    ]
    whole = monthly.split(periods.parse({"from": "2025-01-01", "to": "2025-12-31"}))
    assert len(whole.months) == 12 and whole.edges == []
    short = monthly.split(periods.parse({"from": "2025-01-05", "to": "2025-01-20"}))
    assert short.months == [] and len(short.edges) == 1


# --- summed by the database ------------------------------------------------------


def _read_row_by_row(rollup, facts_qs, period, figures, column=None):
    """How `monthly.read` summed before `histogram_sql`: each cell's JSON and
    each edge fact through `Hist` in Python. The reference the database's
    sums must equal exactly."""
    parts = monthly.split(period)
    out: dict = {}

    def hist(key, figure) -> histogram.Hist:
        return out.setdefault(key, {}).setdefault(figure, histogram.Hist())

    for rows in rollup if parts.months else []:
        for *key, figure, n, total, cells in rows.filter(
            month__in=parts.months, figure__in=list(figures)
        ).values_list(*([column] if column else []), "figure", "n", "total", "hist"):
            hist(key[0] if column else None, figure).merge(n, total, cells or {})
    for row in facts_qs.values(*monthly.FACT_COLUMNS):
        for figure, moment, value in monthly.figures_of(row, figures):
            if any(start <= moment < end for start, end in parts.edges):
                hist(row[column] if column else None, figure).add(value)
    return out


def _plain_hists(got: dict) -> dict:
    return {
        key: {f: (h.n, h.total, {b: c for b, c in h.buckets.items() if c}) for f, h in by.items()}
        for key, by in got.items()
    }


def test_database_buckets_are_the_histogram_buckets(db):
    values = [0, 1, 19, 20, 21, 2**31 - 1, 2**31, 10**10, -1, -20, -21, -(10**6)]
    for edge in histogram.EDGES[::7]:
        values += [edge - 1, edge, edge + 1]
    with connection.cursor() as cursor:
        for value in values:
            bucket = histogram_sql._bucket("x.v")
            cursor.execute(f"SELECT {bucket} FROM (SELECT CAST(%s AS bigint) AS v) x", [value])
            assert cursor.fetchone()[0] == histogram.index(value), value


@pytest.mark.parametrize("column", [None, "team_id", "assignee_id"])
def test_the_database_sums_exactly_what_reading_row_by_row_summed(
    spread, admin_user, monkeypatch, column
):
    history = spread
    # Values off the common path: negative (clocks of imported mail), zero,
    # one-second buckets, bucket edges and a huge one; lists with them.
    odd = [-7, 0, 19, 20, 21, histogram.EDGES[60], histogram.EDGES[60] - 1, 10**9]
    for i, pk in enumerate(TicketFact.objects.order_by("pk").values_list("pk", flat=True)):
        TicketFact.objects.filter(pk=pk).update(
            first_reply_seconds=odd[i % len(odd)],
            resolution_business=odd[(i + 3) % len(odd)],
            next_reply_seconds=[odd[(i + 1) % len(odd)], odd[(i + 5) % len(odd)]],
        )
    monthly.rebuild()
    monkeypatch.setattr(monthly, "MIN_MONTHS", 1)
    users = [history.manager, history.agent, history.outsider, history.secret.assignee, admin_user]
    compared = 0
    for user in users:
        scope = Scope(user=user, period=periods.parse(LONG))
        for period in (scope.period, scope.previous):
            rollup = scope.monthly(period, column)
            assert rollup is not None
            got = monthly.read(rollup, scope.facts(), period, list(monthly.FIGURES), column)
            want = _read_row_by_row(rollup, scope.facts(), period, list(monthly.FIGURES), column)
            assert _plain_hists(got) == _plain_hists(want)
            compared += sum(len(h.buckets) for by in want.values() for h in by.values())
    assert compared  # buckets were compared, not only empty periods


# --- the agents page's replies and CSAT ---------------------------------------------


def test_agents_page_reads_replies_and_csat_once_for_both_tables(spread, admin_user):
    """One grouped read each for the agents and the teams table, and per
    agent and per team the same figures as a read grouped by each."""
    from tiski.reports.models import ReplyFact
    from tiski.surveys.models import SurveyInvitation

    history = spread
    scores = [5, 1, 4, None, 3, 5]
    for i, ticket in enumerate(Ticket.objects.order_by("pk")):
        SurveyInvitation.objects.create(
            kind="csat",
            ticket=ticket,
            contact=ticket.requester,
            # Now and then another agent than the assignee, or none.
            agent=(ticket.assignee, history.agent, None)[i % 3],
            team=ticket.team,
            sent_at=at(2026, 1, 5 + i % 20, 12),
            score=scores[i % len(scores)],
            answered_at=at(2026, 1, 6 + i % 20, 12) if scores[i % len(scores)] else None,
        )
    # Written without the sending path: the facts' refresh gives the surveys their rows.
    facts.refresh(Ticket.objects.values_list("pk", flat=True))
    users = [history.manager, history.agent, history.outsider, history.secret.assignee, admin_user]
    compared = 0
    for user in users:
        scope = Scope(user=user, period=periods.parse(LONG))
        replies, csat = metrics._people_reads(scope)
        # What each table read before, grouped by its own column.
        rows = scope._visible(
            ReplyFact.objects.filter(at__gte=scope.period.start, at__lt=scope.period.end)
        )
        if scope.filters.as_params():
            rows = rows.filter(ticket_id__in=scope.facts().values("ticket_id"))
        if not metrics.can_see_team_reports(user):
            rows = rows.filter(author_id=user.pk)
        for column, group_by, survey_column in (
            ("assignee_id", "author_id", "agent_id"),
            ("team_id", "team_id", "team_id"),
        ):
            want = dict(rows.values(group_by).annotate(n=Count("pk")).values_list(group_by, "n"))
            assert dict(replies[column]) == want, (user.email, column)
            surveys = metrics._surveys(scope, "csat", scope.period)
            assert csat[column] == metrics.csat_by(surveys, survey_column), (user.email, column)
            compared += len(want) + len(csat[column])
        with CaptureQueriesContext(connection) as captured:
            metrics.agents(scope)
        sql = [q["sql"] for q in captured.captured_queries]
        assert sum(q.startswith('SELECT "reports_replyfact"') for q in sql) == 1
        # The surveys from their own facts, not joined to the ticket facts.
        assert sum(q.startswith('SELECT "reports_surveyfact"') for q in sql) == 1
        assert not any("surveys_surveyinvitation" in q for q in sql)
    assert compared


def test_response_by_team_reads_the_rollup_once_for_summary_and_breakdown(spread, monkeypatch):
    """The summary and the breakdown by team (the default) share one read of
    the period's cells and edges; the previous period has its own."""
    history = spread
    by_team, sql = run("response", history.manager, monkeypatch, months=1)
    parts = len(
        Scope(user=history.manager, period=periods.parse(LONG)).monthly(periods.parse(LONG))
    )
    table = MonthlyFigure._meta.db_table
    assert sum(table in q for q in sql) == 2 * parts  # the period and the previous one
    assert sum(q.startswith("WITH f AS") for q in sql) == 2
    # The figures are those the facts give (and so those the two reads gave).
    exact, _sql = run("response", history.manager, monkeypatch, months=10**6)
    assert assert_same_figures(by_team, exact)
