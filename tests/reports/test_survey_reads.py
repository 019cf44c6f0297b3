"""The survey figures read in one pass equal the same figures read one query each.

The CSAT and NPS pages count the period's and the previous period's
surveys, per time bucket and (CSAT) per agent and team, from one grouped
read (`metrics._SurveyCells`); the customers page counts CSAT for the
organisations and contacts it lists only. Each test computes the figures
the way the pages did before, query by query over all the surveys, and
compares.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.customers.models import Organisation
from tiski.reports import facts, metrics, periods, stats
from tiski.reports.metrics import Scope
from tiski.surveys.models import SurveyInvitation

from .conftest import at

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
# Sent times on both sides of 1.1.2026: the week of 29.12.2025-4.1.2026
# holds surveys of the previous period (December) and of January.
SENT = [
    at(2025, 12, 10, 9),
    at(2025, 12, 30, 9),
    at(2026, 1, 2, 16),
    at(2026, 1, 3, 23, 30),
    at(2026, 1, 15, 12),
    at(2026, 1, 28, 8),
]


@pytest.fixture
def surveys(history):
    """CSAT and NPS surveys about every ticket of the history (the restricted
    team's and the merged one's too), answered or not, in both periods."""
    tickets = [t for t in history.tickets]
    for i, sent_at in enumerate(SENT):
        for j, ticket in enumerate(tickets):
            answered = (i + j) % 4 != 0
            SurveyInvitation.objects.create(
                kind="csat",
                ticket=ticket,
                contact=ticket.requester,
                # Some surveys name no agent or team (sent before assignment).
                agent=ticket.assignee if (i + j) % 3 else None,
                team=ticket.team if (i + j) % 5 else None,
                sent_at=sent_at + timedelta(minutes=j),
                answered_at=sent_at + timedelta(hours=1) if answered else None,
                score=1 + (i * 7 + j * 3) % 5 if answered else None,
                comment=f"Kommentti {i}/{j}" if answered and j % 2 else "",
            )
            SurveyInvitation.objects.create(
                kind="nps",
                ticket=ticket,
                contact=ticket.requester,
                sent_at=sent_at + timedelta(minutes=j),
                answered_at=sent_at + timedelta(hours=2) if answered else None,
                score=(i * 5 + j * 3) % 11 if answered else None,
            )
    facts.refresh([t.pk for t in tickets])
    return history


def figures_one_by_one(scope: Scope, kind: str) -> dict:
    """The survey page's figures as the page read them before: one query each."""
    figures_of = metrics.csat_figures if kind == "csat" else metrics.nps_figures
    qs = metrics._surveys(scope, kind, scope.period)
    per_bucket: dict = defaultdict(lambda: [0, 0])
    for s in qs:
        cell = per_bucket[metrics._bucket_key(s.sent_at, scope.bucket)]
        cell[0] += 1
        cell[1] += s.answered_at is not None and s.score is not None
    out = {
        "now": figures_of(qs),
        "before": figures_of(metrics._surveys(scope, kind, scope.previous)),
        "buckets": {k: tuple(v) for k, v in per_bucket.items()},
    }
    if kind == "csat":
        for column in ("agent_id", "team_id"):
            rates = metrics.csat_by(qs, column)
            counts: dict = defaultdict(lambda: [0, 0])
            for s in qs:
                counts[getattr(s, column)][0] += 1
                counts[getattr(s, column)][1] += s.answered_at is not None and s.score is not None
            out[column] = {k: (v[0], v[1], rates[k]) for k, v in counts.items()}
    return out


def figures_of_the_page(scope: Scope, kind: str) -> dict:
    cells = metrics._SurveyCells.read(scope, kind)
    buckets = {k: (v[0], v[1]) for k, v in cells.by_bucket(scope.bucket).items()}
    out = {
        "now": cells.figures(kind, 0),
        "before": cells.figures(kind, 1),
        "buckets": buckets,
    }
    if kind == "csat":
        for column in ("agent_id", "team_id"):
            out[column] = cells.by_person(column)
    return out


@pytest.mark.parametrize("kind", ["csat", "nps"])
@pytest.mark.parametrize("bucket", ["week", "day"])
def test_survey_figures_in_one_read_equal_the_queries_one_by_one(surveys, admin_user, kind, bucket):
    users = (surveys.manager, surveys.agent, surveys.outsider, admin_user)
    for user in users:
        scope = Scope(user=user, period=periods.parse(JANUARY), bucket=bucket)
        expected = figures_one_by_one(scope, kind)
        assert figures_of_the_page(scope, kind) == expected
    # Not an empty comparison: the manager has surveys in both periods and
    # a bucket that holds surveys of both.
    scope = Scope(user=surveys.manager, period=periods.parse(JANUARY), bucket=bucket)
    got = figures_of_the_page(scope, kind)
    assert got["now"]["sent"] > 0 and got["before"]["sent"] > 0


def test_the_csat_page_shows_the_one_read_figures_and_hides_the_restricted_team(
    surveys, admin_user
):
    period = periods.parse(JANUARY)
    for user in (surveys.manager, surveys.outsider):
        scope = Scope(user=user, period=period, bucket="week")
        with CaptureQueriesContext(connection) as captured:
            result = metrics.csat(scope)
        sqls = [q["sql"] for q in captured.captured_queries]
        # The figures, buckets and people in one read of the survey facts,
        # the comments in one of the surveys.
        assert len([sql for sql in sqls if "reports_surveyfact" in sql]) == 1
        assert len([sql for sql in sqls if "surveys_surveyinvitation" in sql]) == 1
        expected = figures_one_by_one(scope, "csat")
        summary = {f.key: f.value for f in result.summary}
        for key in ("csat", "sent", "answered", "response_rate"):
            assert summary[key].value == expected["now"][key]
            assert summary[key].previous == expected["before"][key]
        sent_by_week = [row[1].value for row in result.table("over_time").rows]
        starts = [start for start, _end in periods.buckets(period, "week")]
        assert sent_by_week == [
            expected["buckets"].get(metrics._bucket_key(s, "week"), (0, 0))[0] for s in starts
        ]
        assert sum(row[1].value for row in result.table("by_team").rows) == summary["sent"].value
    # The restricted team's ticket counts for an admin, not for a manager
    # outside the team; the merged ticket's for nobody.
    january = SurveyInvitation.objects.filter(
        kind="csat", sent_at__gte=period.start, sent_at__lt=period.end
    ).exclude(ticket=surveys.merged)
    secret = january.filter(ticket=surveys.secret).count()
    assert secret > 0

    def sent(user) -> int:
        result = metrics.csat(Scope(user=user, period=period))
        return next(f.value.value for f in result.summary if f.key == "sent")

    assert sent(admin_user) == january.count()
    assert sent(surveys.manager) == january.count() - secret


def test_customers_csat_counts_the_listed_rows_as_all_the_surveys_would(surveys):
    acme = Organisation.objects.create(name="Acme Oy")
    for ticket in (surveys.weekend, surveys.reopened, surveys.secret):
        requester = ticket.requester
        requester.organisation = acme
        requester.save(update_fields=["organisation"])
    facts.refresh([t.pk for t in surveys.tickets])
    period = periods.parse(JANUARY)
    for user in (surveys.manager, surveys.agent, surveys.outsider):
        scope = Scope(user=user, period=period)
        result = metrics.customers(scope)
        all_surveys = metrics._surveys(scope, "csat", period)
        by_contact = metrics.csat_by(all_surveys, "contact_id")
        by_organisation = metrics.csat_by(all_surveys, "ticket__requester__organisation_id")
        rows = result.table("by_contact").rows
        ranked = metrics._contact_rankings(
            scope.facts().filter(created_at__gte=period.start, created_at__lt=period.end)
        )["n"]
        assert len(rows) == len(ranked) > 0
        for (contact_id, _n), row in zip(ranked, rows, strict=True):
            assert row[-1].value == by_contact.get(contact_id)
        org_rows = {row[0].value: row[-1].value for row in result.table("by_organisation").rows}
        assert org_rows["Acme Oy"] == by_organisation.get(acme.pk)
    # Known answer, so the comparison is not of two empty figures: the
    # manager's Acme CSAT is that of the weekend and reopened tickets' surveys.
    manager = metrics.customers(Scope(user=surveys.manager, period=period))
    acme_row = next(r for r in manager.table("by_organisation").rows if r[0].value == "Acme Oy")
    answered = SurveyInvitation.objects.filter(
        kind="csat",
        ticket__in=[surveys.weekend, surveys.reopened],
        sent_at__gte=period.start,
        sent_at__lt=period.end,
        score__isnull=False,
    )
    good = answered.filter(score__gte=4).count()
    assert acme_row[-1].value == pytest.approx(stats.rate(good, answered.count()))


def test_csat_figures_with_filters_equal_the_queries_one_by_one(surveys, admin_user):
    """Filters on the ticket's columns read the survey facts, a tag or a
    mailbox the surveys joined to the facts: the same figures either way."""
    from tiski.tickets.models import Tag

    first = surveys.tickets[0]
    tag = Tag.objects.create(name="reklamaatio")
    first.tags.add(tag)
    period = periods.parse(JANUARY)
    variants = [
        {"team": [str(first.team_id)]},
        {"team": ["none"]},
        {"channel": [first.channel]},
        {"priority": [first.priority]},
        {"organisation": ["none"]},
        {"tag": [tag.name]},
    ]
    checked = 0
    for params in variants:
        for user in (surveys.manager, surveys.agent, admin_user):
            scope = Scope(
                user=user,
                period=period,
                bucket="week",
                filters=metrics.ReportFilters.from_params(params),
            )
            expected = figures_one_by_one(scope, "csat")
            assert figures_of_the_page(scope, "csat") == expected, (params, user.email)
            checked += expected["now"]["sent"]
    assert checked > 0
