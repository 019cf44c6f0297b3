"""The monthly rollups of created tickets (docs/reports.md, "Monthly volume"):
they equal a recount from the facts however the tickets change, and the
volume report's "created by" tables and weekday-by-hour maps read from them
(whole months) and the hourly rollup (edges, the third visibility arm) are
the same as read from the hourly rollup alone, for every kind of viewer."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from tiski.customers.models import Contact, Organisation
from tiski.reports import facts, metrics, monthly, monthly_created, periods
from tiski.reports.access import can_see_team_reports
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import MonthlyCreated, MonthlyOrganisation, MonthlyWeekHour, TicketFact
from tiski.tickets import actions
from tiski.tickets.models import Ticket, TicketType, Via

from .conftest import LONG, at

CREATED, WEEK_HOURS, ORGANISATIONS = (
    m._meta.db_table for m in (MonthlyCreated, MonthlyWeekHour, MonthlyOrganisation)
)
TABLES = (CREATED, WEEK_HOURS, ORGANISATIONS)


def with_organisations(spread) -> None:
    """Half the tickets' requesters in two organisations, the facts refreshed
    (each refresh moves the rollups by the difference)."""
    tickets = list(Ticket.objects.order_by("pk"))
    first, second = (Organisation.objects.create(name=n) for n in ("Oy Alfa Ab", "Beeta Oy"))
    for i, ticket in enumerate(tickets):
        if i % 2:
            Contact.objects.filter(pk=ticket.requester_id).update(
                organisation=first if i % 4 == 1 else second
            )
    facts.refresh([t.pk for t in tickets])


def created_total(model) -> int:
    return sum(model.objects.values_list("created", flat=True))


def test_kept_by_every_refresh_equals_a_recount(spread):
    with_organisations(spread)
    assert list(monthly_created.verify()) == []
    counted = TicketFact.objects.filter(merged=False).count()
    for model in (MonthlyCreated, MonthlyWeekHour, MonthlyOrganisation):
        assert created_total(model) == counted
    assert MonthlyOrganisation.objects.filter(organisation__isnull=False, created__gt=0).exists()


def test_weekday_and_hour_are_the_desk_time_zones(spread):
    # Created Wednesday 31.12.2025 at 23:30 in Helsinki: 21:30 UTC, still December.
    cell = MonthlyWeekHour.objects.filter(
        month=at(2025, 12, 1).date(), weekday=3, hour=23, created__gt=0
    )
    assert cell.exists()
    assert not MonthlyWeekHour.objects.filter(hour=21, month=at(2025, 12, 1).date()).exists()


def test_follows_team_type_and_merge_changes(spread, make_team, django_capture_on_commit_callbacks):
    other = make_team("Laskutus")
    kind = TicketType.objects.create(slug="palautus", name_fi="Palautus", name_en="Return")
    first, second = Ticket.objects.filter(subject="Kuukausi").order_by("pk")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(first, actor=spread.agent, via=Via.AGENT, team=other, type=kind)
    with django_capture_on_commit_callbacks(execute=True):
        actions.merge_tickets(second, first, actor=spread.agent, via=Via.AGENT)
    assert list(monthly_created.verify()) == []
    assert (
        MonthlyCreated.objects.filter(team=other, type=kind).values_list("created", flat=True).get()
        == 1
    )
    counted = TicketFact.objects.filter(merged=False).count()
    assert created_total(MonthlyWeekHour) == counted


def test_verify_finds_drift_and_rebuild_repairs_it(spread, capsys):
    MonthlyWeekHour.objects.filter(pk=MonthlyWeekHour.objects.first().pk).update(
        created=F("created") + 3
    )
    assert len(list(monthly_created.verify())) == 1
    with pytest.raises(SystemExit):
        call_command("report", "--verify")
    assert "monthly weekday-by-hour" in capsys.readouterr().out
    facts.rebuild()
    assert list(monthly_created.verify()) == []


def volume(user, monkeypatch, *, months: int, **filters) -> tuple[dict, list[str]]:
    monkeypatch.setattr(monthly, "MIN_MONTHS", months)
    scope = Scope(user=user, period=periods.parse(LONG), filters=ReportFilters(**filters))
    with CaptureQueriesContext(connection) as captured:
        data = metrics.volume(scope).as_data()
    return data, [q["sql"] for q in captured.captured_queries]


def tables_read(sql: list[str]) -> set[str]:
    return {table for table in TABLES if any(table in q for q in sql)}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"channel": ["chat"]},
        {"type": ["palautus"]},
        {"team": ["none"]},
        {"priority": ["normal"]},
    ],
)
def test_volume_from_the_monthly_rollups_equals_the_hourly_one(
    spread, admin_user, monkeypatch, django_capture_on_commit_callbacks, filters
):
    history = spread
    with_organisations(spread)
    kind = TicketType.objects.create(slug="palautus", name_fi="Palautus", name_en="Return")
    # A chat ticket of a type, in a whole month and in an edge.
    for moment in (at(2026, 1, 14, 8, 15), at(2026, 3, 16, 21, 40)):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = actions.create_ticket(
                requester=history.weekend.requester,
                subject="Chat",
                text="Hei",
                actor=None,
                via=Via.CHANNEL,
                channel="chat",
                team=history.team,
                type=kind,
                created_at=moment,
            )
        facts.refresh([ticket.pk])
    users = [history.manager, history.agent, history.outsider, history.secret.assignee, admin_user]
    for user in users:
        rolled, sql = volume(user, monkeypatch, months=1, **filters)
        if "priority" in filters or not can_see_team_reports(user):
            # The monthly rollups have no priority and no agent (an agent's
            # reports are narrowed to their own tickets).
            assert tables_read(sql) == set()
        elif "type" in filters:
            assert tables_read(sql) == {CREATED}  # the only one with a type
        elif "channel" in filters:
            assert tables_read(sql) == {CREATED, WEEK_HOURS}
        else:
            assert tables_read(sql) == set(TABLES)
        hourly, sql = volume(user, monkeypatch, months=10**6, **filters)
        assert tables_read(sql) == set()
        assert rolled == hourly, user.email
    # The comparison saw tickets: the admin counts every visible one in the maps.
    admin, _sql = volume(admin_user, monkeypatch, months=1, **filters)
    heat = admin["tables"]["heatmap_all"]["rows"]
    assert sum(n for row in heat for n in row[1:]) == admin["summary"]["created"]["value"] > 0


def test_the_third_arm_counts_my_tickets_outside_my_teams_once(spread, monkeypatch):
    """The outsider is not in Myynti but has two of its tickets (one in an
    edge, one in a whole month): each counted once, from the hourly rows."""
    outsider = spread.outsider
    data, _sql = volume(outsider, monkeypatch, months=1)
    teams = {row[0]: row[1] for row in data["tables"]["by_team"]["rows"]}
    assert teams["Myynti"] == 2


def test_customers_busiest_organisations_from_the_rollup_equal_the_facts(
    spread, admin_user, monkeypatch
):
    with_organisations(spread)
    users = [spread.manager, spread.outsider, admin_user]
    for user in users:
        pages = []
        for months in (1, 10**6):
            monkeypatch.setattr(monthly, "MIN_MONTHS", months)
            scope = Scope(user=user, period=periods.parse(LONG))
            with CaptureQueriesContext(connection) as captured:
                pages.append(metrics.customers(scope).as_data()["tables"]["by_organisation"])
            read = any(ORGANISATIONS in q["sql"] for q in captured.captured_queries)
            assert read == (months == 1)
        assert pages[0] == pages[1], user.email
        assert {row[0] for row in pages[0]["rows"]} >= {"Oy Alfa Ab", "Beeta Oy"}
