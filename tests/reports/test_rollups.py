"""The hourly and daily rollups equal a recount from the facts, however the
tickets change, and the volume report reads the same figures from them as
from the facts."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import F

from tiski.reports import daily, facts, metrics, periods, rollups
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import DailyVolume, HourlyVolume
from tiski.tickets import actions
from tiski.tickets.models import Status, Ticket, Via

from .conftest import at

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def scope_for(user, **filters) -> Scope:
    return Scope(user=user, period=periods.parse(JANUARY), filters=ReportFilters(**filters))


def totals(level=rollups) -> dict[str, int]:
    cells = level.stored().values()
    return {m: sum(c[m] for c in cells) for m in rollups.MEASURES}


def test_rollup_kept_by_every_refresh_equals_a_recount(history):
    # The fixture's actions refreshed facts many times (each moving the rollup).
    assert list(rollups.verify()) == []
    assert list(daily.verify()) == []
    # weekend, reopened, pending, merge target, secret: the merged ticket is out;
    # solved: weekend, reopened, pending; reopened once (first reopening only).
    assert totals() == {"created": 5, "solved": 3, "reopened": 1}
    assert totals(daily) == totals()


def test_rollup_follows_team_moves_reopening_merge_and_undo(
    history, make_team, django_capture_on_commit_callbacks
):
    other = make_team("Laskutus")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = Ticket.objects.get(pk=history.pending.pk)
        actions.update_ticket(ticket, actor=history.agent, via=Via.AGENT, team=other)
    with django_capture_on_commit_callbacks(execute=True):
        ticket.refresh_from_db()
        actions.update_ticket(
            ticket, actor=history.agent, via=Via.AGENT, status=Status.OPEN, at=at(2026, 1, 25, 9)
        )
    assert list(rollups.verify()) == []
    assert list(daily.verify()) == []
    assert totals() == {"created": 5, "solved": 2, "reopened": 2}
    assert totals(daily) == totals()
    moved = HourlyVolume.objects.filter(team=other)
    assert sum(moved.values_list("created", flat=True)) == 1
    assert sum(DailyVolume.objects.filter(team=other).values_list("created", flat=True)) == 1

    from tiski.tickets.models import TicketMerge

    record = TicketMerge.objects.get(source=history.merged)
    with django_capture_on_commit_callbacks(execute=True):
        actions.undo_ticket_merge(record, actor=history.agent, via=Via.AGENT)
    assert list(rollups.verify()) == []
    assert list(daily.verify()) == []
    assert totals()["created"] == 6  # the merged ticket counts again
    assert totals(daily) == totals()


def test_verify_finds_drift_and_rebuild_repairs_it(history, capsys):
    HourlyVolume.objects.filter(created__gt=0).update(created=F("created") + 1)
    assert any("recounted" in line for line in rollups.verify())
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", "--verify")
    assert exit_info.value.code == 1
    call_command("report", "--rebuild")
    assert list(rollups.verify()) == []
    call_command("report", "--verify")
    assert "0 differences" in capsys.readouterr().out


def test_verify_finds_daily_drift_and_rebuild_repairs_it(history, capsys):
    DailyVolume.objects.filter(solved__gt=0).update(solved=F("solved") + 2)
    assert any("daily rollup" in line for line in daily.verify())
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", "--verify")
    assert exit_info.value.code == 1
    call_command("report", "--rebuild")
    assert list(daily.verify()) == []
    assert totals(daily) == {"created": 5, "solved": 3, "reopened": 1}


def test_a_refresh_without_change_moves_nothing(history):
    before = rollups.stored(), daily.stored()
    facts.refresh([t.pk for t in history.tickets])
    assert (rollups.stored(), daily.stored()) == before


@pytest.mark.parametrize(
    "filters",
    [{}, {"channel": ["email"]}, {"priority": ["normal"]}, {"team": ["none"]}, {"agent": ["me"]}],
)
def test_volume_from_the_rollup_equals_volume_from_the_facts(
    history, admin_user, monkeypatch, filters
):
    if filters.get("agent"):
        filters = {"agent": [str(history.agent.pk)]}
    users = [history.manager, history.outsider, history.agent, admin_user]
    from_rollup = [metrics.volume(scope_for(u, **filters)).as_data() for u in users]
    # The same report with the rollup unavailable reads every count from the facts.
    monkeypatch.setattr(Scope, "rollup", lambda self: None)
    from_facts = [metrics.volume(scope_for(u, **filters)).as_data() for u in users]
    assert from_rollup == from_facts
    expected = {"team": 0, "agent": 4}.get(next(iter(filters), ""), 5)
    assert from_rollup[3]["summary"]["created"]["value"] == expected


def test_volume_reads_the_daily_rollup_for_buckets_of_days(history, admin_user):
    """Without a type, channel or priority filter the totals, backlog and day,
    week and month buckets come from the daily rollup; hour buckets and those
    filters do not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    table = DailyVolume._meta.db_table

    def daily_reads(bucket: str, **filters) -> int:
        scope = scope_for(admin_user, **filters)
        scope.bucket = bucket
        with CaptureQueriesContext(connection) as captured:
            metrics.volume(scope)
        return sum(table in q["sql"] for q in captured.captured_queries)

    assert daily_reads("week") == 2  # totals and backlog; buckets
    assert daily_reads("day", team=[str(history.team.pk)]) == 2
    assert daily_reads("hour") == 1  # totals only
    assert daily_reads("week", channel=["email"]) == 0


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_daily_rollup_cuts_days_in_the_desk_time_zone_across_daylight_saving(
    db, make_ticket, admin_user, monkeypatch, bucket
):
    """Tickets around local midnight on the days the clocks change (29.3.2026,
    25.10.2026) count on their Helsinki day, as the facts count them."""
    moments = [
        at(2026, 3, 28, 23, 30),
        at(2026, 3, 29, 0, 30),
        at(2026, 3, 29, 23, 59),
        at(2026, 3, 31, 23, 59),
        at(2026, 4, 1, 0, 0),
        at(2026, 10, 24, 23, 45),
        at(2026, 10, 25, 0, 15),
        at(2026, 10, 25, 23, 30),
    ]
    for i, moment in enumerate(moments):
        ticket = make_ticket(subject=f"Kellonsiirto {i}", created_at=moment)
        if i % 2:
            actions.update_ticket(
                ticket, actor=admin_user, via=Via.AGENT, status=Status.SOLVED, at=moment
            )
    facts.refresh(list(Ticket.objects.values_list("pk", flat=True)))
    assert list(daily.verify()) == []
    days = {key[0] for key in daily.stored()}
    assert {at(2026, 3, 28).date(), at(2026, 3, 29).date(), at(2026, 10, 25).date()} <= days
    period = periods.parse({"from": "2026-03-01", "to": "2026-10-31"})
    scope = Scope(user=admin_user, period=period, bucket=bucket)
    from_daily = metrics.volume(scope).as_data()
    monkeypatch.setattr(Scope, "daily", lambda self: None)
    from_hours = metrics.volume(scope).as_data()
    monkeypatch.setattr(Scope, "rollup", lambda self: None)
    from_facts = metrics.volume(scope).as_data()
    assert from_daily == from_hours == from_facts
    assert from_daily["summary"]["created"]["value"] == len(moments)


def test_restricted_team_stays_out_of_an_outsiders_rollup_figures(history, admin_user):
    secret_hour = at(2026, 1, 14, 9)
    outsider = metrics.volume(scope_for(history.outsider))
    admin = metrics.volume(scope_for(admin_user))
    wednesday = 2  # row index: Mon, Tue, Wed
    assert outsider.table("heatmap_all").rows[wednesday][1 + secret_hour.hour].value == 0
    assert admin.table("heatmap_all").rows[wednesday][1 + secret_hour.hour].value == 1


def test_facts_visibility_equals_visible_to(history, admin_user, make_user):
    from tiski.accounts.models import Role

    boss = history.secret.assignee
    stranger = make_user(role=Role.MANAGER)
    for user in (history.manager, history.agent, history.outsider, boss, stranger, admin_user):
        scope = scope_for(user)
        from_facts = set(
            scope._visible(facts.TicketFact.objects.all()).values_list("ticket_id", flat=True)
        )
        from_tickets = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
        assert from_facts == from_tickets, user.email


def test_reply_rows_equal_the_public_replies_and_verify_checks_them(history, admin_user):
    from tiski.reports.models import ReplyFact
    from tiski.tickets.models import Message, MessageKind

    counted = Ticket.objects.filter(report_fact__merged=False)
    messages = Message.objects.filter(kind=MessageKind.PUBLIC, ticket__in=counted).exclude(
        meta__has_key="merged_from"
    )
    assert ReplyFact.objects.count() == messages.count() > 0
    agents = metrics.agents(scope_for(admin_user))
    replies = {row[0].value: row[3].value for row in agents.table("agents").rows}
    assert replies[history.agent.name] == messages.filter(author_user=history.agent).count()
    ReplyFact.objects.filter(ticket=history.weekend).delete()
    assert any("recounted, not stored" in line for line in facts.verify())
    facts.refresh([history.weekend.pk])
    assert list(facts.verify()) == []


def test_apply_moves_the_oldest_row_of_a_cell_and_adds_missing_cells(db):
    """Many cells in a few statements: a cell with two rows (two first writes
    racing) moves its oldest, a cell without one gets a row, NULL dimensions
    are a cell of their own, and other hours stay as they were."""
    from collections import Counter
    from datetime import UTC, datetime

    nine = datetime(2026, 1, 5, 9, tzinfo=UTC)
    ten = datetime(2026, 1, 5, 10, tzinfo=UTC)
    dims = {"team": None, "assignee": None, "type": None, "channel": "email", "priority": "normal"}
    oldest = HourlyVolume.objects.create(hour=nine, created=2, **dims)
    newer = HourlyVolume.objects.create(hour=nine, created=5, **dims)
    web = HourlyVolume.objects.create(hour=nine, created=1, **{**dims, "channel": "web"})
    key = (None, None, None, "email", "normal")
    rollups.apply(
        Counter(
            {
                (nine, *key, "created"): 3,
                (nine, *key, "solved"): 1,
                (ten, *key, "created"): 4,
                (ten, *key, "reopened"): -1,
            }
        )
    )
    oldest.refresh_from_db()
    newer.refresh_from_db()
    web.refresh_from_db()
    assert (oldest.created, oldest.solved, newer.created, web.created) == (5, 1, 5, 1)
    added = HourlyVolume.objects.get(hour=ten)
    assert (added.channel, added.created, added.solved, added.reopened) == ("email", 4, 0, -1)
    rollups.apply(Counter())
    assert HourlyVolume.objects.count() == 4


def test_the_rows_of_exact_keys_are_the_rows_their_buckets_read_has_for_them(history):
    """PostgreSQL reads (and locks) a change's rows by its exact keys: the same
    rows, in the same order, as the read of the touched buckets narrowed by
    dimension values keeps for those keys; NULL dimensions match NULL."""
    from django.db import connection, transaction

    from tiski.reports import monthly_created, monthly_replies

    if connection.vendor != "postgresql":
        pytest.skip("the exact-key read is PostgreSQL's")
    levels = (
        rollups.HOURLY,
        daily.DAILY,
        *monthly_created.LEVELS,
        monthly_replies.MONTHLY_REPLIES,
    )
    for cells in levels:
        width = len(cells.dimensions)
        stored = cells.model.objects.order_by("pk").values_list(
            cells.bucket_field, *cells.dimensions
        )
        keys = list(dict.fromkeys((cells.from_database(b), *dims) for b, *dims in stored))
        assert len(keys) > 1, cells.model
        wanted = keys[::2] + [(keys[-1][0], *([None] * width))]  # the last one may have no row
        with transaction.atomic():
            exact = cells._rows_of_keys(wanted)
            narrowed = [
                tuple(row)
                for row in cells._rows_of_buckets(wanted)
                if (cells.from_database(row[1]), *row[2 : 2 + width]) in set(wanted)
            ]
        assert exact == narrowed, cells.model
        assert exact, cells.model
