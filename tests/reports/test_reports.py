"""Report figures, pages, drill-downs, exports, the command and the mail."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.reports import exports, metrics, periods, subscriptions
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.models import ReportSubscription

from ..conftest import PASSWORD

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
HOUR = 3600


def scope_for(user, **filters) -> Scope:
    return Scope(user=user, period=periods.parse(JANUARY), filters=ReportFilters(**filters))


def summary(result) -> dict:
    return {f.key: f.value.value for f in result.summary}


def logged_in(client, user):
    client.login(username=user.email, password=PASSWORD)
    return client


def test_volume_counts_leave_out_merged_and_restricted_tickets(history, admin_user):
    got = summary(metrics.volume(scope_for(history.manager)))
    # weekend, reopened, pending, merge target; the merged and the restricted one are out
    assert got == {"created": 4, "solved": 3, "reopened": 1, "backlog": 1}
    # An admin sees the restricted team's ticket too (still not the merged one).
    assert summary(metrics.volume(scope_for(admin_user)))["created"] == 5


def test_agents_see_their_own_figures_only(history, make_user):
    stranger = make_user(teams=(history.team,))
    assert summary(metrics.volume(scope_for(stranger)))["created"] == 0
    assert summary(metrics.volume(scope_for(history.agent)))["created"] == 4
    # Filters cannot widen an agent's view.
    scope = scope_for(stranger, agent=[str(history.agent.pk)])
    assert summary(metrics.volume(scope))["created"] == 0


def test_response_figures(history):
    got = summary(metrics.response(scope_for(history.manager)))
    # first replies 114 h, 1 h, 0.5 h, 2 h: median 1.5 h, p90 114 h
    assert got["first_reply_median"] == 1.5 * HOUR
    assert got["first_reply_p90"] == 114 * HOUR
    assert got["first_reply_business_median"] == 1.5 * HOUR
    # solved: weekend (1 reply), reopened (3 replies, reopened), pending (1 reply)
    assert got["one_touch"] == pytest.approx(200 / 3)
    assert got["reopen"] == pytest.approx(100 / 3)
    assert got["next_reply_median"] == HOUR


def test_heatmap_puts_tickets_on_local_weekday_and_hour(history):
    result = metrics.volume(scope_for(history.manager))
    grid = result.table("heatmap_all")
    friday_15 = grid.rows[4][1 + 15].value  # Friday row, hour 15 (Helsinki)
    monday_9 = grid.rows[0][1 + 9].value
    assert friday_15 == 1
    assert monday_9 == 2  # reopened (12.1.) and pending (19.1.)


def test_sla_report_counts_breached_targets(history, make_ticket):
    from tiski.reports import facts
    from tiski.sla.models import Calendar, SlaPolicy
    from tiski.sla.services import refresh_tickets

    calendar = Calendar.objects.create(
        name="Toimisto", weekly_hours={str(d): "08:00-16:00" for d in range(5)}, is_default=True
    )
    SlaPolicy.objects.create(
        name="Perus", calendar=calendar, targets={"normal": {"first_reply": 240}}
    )
    ids = [t.pk for t in history.tickets]
    refresh_tickets(ids)
    facts.refresh(ids)
    result = metrics.sla(scope_for(history.manager))
    got = summary(result)
    # Only the weekend ticket waited more than 4 business hours for its reply.
    assert got["first_reply_breached"] == 1
    assert got["first_reply_achieved"] == pytest.approx(75.0)
    assert [row[0].value for row in result.table("breached").rows] == [f"#{history.weekend.number}"]


def test_page_renders_and_every_figure_drills_down_to_exactly_its_tickets(history, client):
    logged_in(client, history.manager)
    page = client.get(reverse("reports:volume"), JANUARY)
    assert page.status_code == 200
    figures = {f["key"]: f for f in page.context["presented"]["summary"]}
    listing = client.get(figures["created"]["url"])
    assert listing.status_code == 200
    shown = {t.pk for t in listing.context["page"].tickets}
    assert shown == {
        history.weekend.pk,
        history.reopened.pk,
        history.pending.pk,
        history.merge_target.pk,
    }
    reopened = client.get(figures["reopened"]["url"])
    assert {t.pk for t in reopened.context["page"].tickets} == {history.reopened.pk}
    backlog = client.get(figures["backlog"]["url"])
    assert {t.pk for t in backlog.context["page"].tickets} == {history.merge_target.pk}
    assert b"<svg" in page.content and b"<desc" in page.content


@pytest.mark.parametrize("name", list(metrics.REPORTS))
def test_every_report_page_and_export_works(history, client, name):
    logged_in(client, history.manager)
    assert client.get(reverse(f"reports:{name}"), JANUARY).status_code == 200
    for fmt in ("csv", "xlsx"):
        response = client.get(reverse("reports:export", args=[name, fmt]), JANUARY)
        assert response.status_code == 200


def test_light_agents_get_no_reports(db, make_user, client):
    light = make_user(role=Role.LIGHT_AGENT)
    logged_in(client, light)
    assert client.get(reverse("reports:volume")).status_code == 403


def test_command_json_equals_the_page(history, client):
    logged_in(client, history.manager)
    page = client.get(reverse("reports:response"), {**JANUARY, "by": "agent"})
    out = io.StringIO()
    call_command(
        "report",
        "response",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--by",
        "agent",
        "--as",
        history.manager.email,
        "--language",
        "fi",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == json.loads(json.dumps(page.context["result"].as_data()))


def test_xlsx_export_reads_back_with_period_filters_and_figures(history):
    from openpyxl import load_workbook

    result = metrics.volume(scope_for(history.manager, channel=["email"]))
    book = load_workbook(io.BytesIO(exports.to_xlsx(result)))
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Period", "2026-01-01", "2026-01-31"] in rows
    assert any(row[0] == "Filters" and row[1] == "channel=email" for row in rows)
    created = next(row for row in rows if row[0] == "Created")
    assert created[1] == 4
    over_time = book.worksheets[1]
    assert over_time.cell(2, 2).value == "Created"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_safe_text_escapes_every_formula_start(text):
    assert exports.safe_text(text) == "'" + text
    assert exports.safe_text("Tilaus 12") == "Tilaus 12"


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_exports_escape_formula_injection(history, make_ticket, evil):
    from openpyxl import load_workbook

    from tiski.reports import facts

    ticket = make_ticket(subject=evil, team=history.team, assignee=history.agent)
    facts.refresh([ticket.pk])
    scope = Scope(user=history.manager, period=periods.preset("today"))
    result = metrics.customers(scope)
    book = load_workbook(io.BytesIO(exports.to_xlsx(result)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    hits = [c for c in cells if isinstance(c.value, str) and evil.strip() in c.value]
    assert hits and all(c.data_type == "s" and c.value.startswith("'") for c in hits)
    text = exports.to_csv(result)
    found = [cell for row in csv.reader(io.StringIO(text)) for cell in row if evil in cell]
    assert found and all(cell == "'" + evil for cell in found)


def test_subscription_mails_last_week_once_in_the_recipients_language(history, mailbox):
    history.manager.language = "fi"
    history.manager.save()
    ReportSubscription.objects.create(user=history.manager, report="volume", frequency="weekly")
    mailbox.outbound_method = "django"
    mailbox.save()
    assert subscriptions.send_due(today=date(2026, 1, 21)) == 1
    assert subscriptions.send_due(today=date(2026, 1, 22)) == 0  # that week went already
    message = mail.outbox[-1]
    assert message.to == [history.manager.email]
    assert "Luotu: 1" in message.body  # week 12.-18.1.: the reopened ticket
    name, content, kind = message.attachments[0]
    assert name.endswith(".xlsx") and kind.startswith("application/vnd.openxml")


def test_subscribe_from_the_page(history, client):
    logged_in(client, history.manager)
    client.post(
        reverse("reports:subscribe", args=["agents"]),
        {"frequency": "monthly", "team": str(history.team.pk)},
    )
    sub = ReportSubscription.objects.get(user=history.manager)
    assert (sub.report, sub.frequency, sub.filters) == (
        "agents",
        "monthly",
        {"team": [str(history.team.pk)]},
    )
    client.post(
        reverse("reports:subscribe", args=["agents"]), {"frequency": "monthly", "action": "stop"}
    )
    assert not ReportSubscription.objects.exists()


def test_periods_and_daylight_saving_buckets(db):
    march = periods.Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.previous() == periods.Period(date(2026, 2, 1), date(2026, 2, 28))
    assert periods.preset("last_week", date(2026, 1, 21)) == periods.Period(
        date(2026, 1, 12), date(2026, 1, 18), "last_week"
    )
    assert periods.preset("this_quarter", date(2026, 5, 5)).first == date(2026, 4, 1)
    dst_day = periods.Period(date(2026, 3, 29), date(2026, 3, 29))
    assert len(periods.buckets(dst_day, "hour")) == 23


def test_no_report_page_or_export_shows_a_restricted_ticket_to_an_outsider(history, client):
    """The outsider manages the Tuki team; the Johto team's ticket stays out everywhere."""
    logged_in(client, history.outsider)
    secret = f"#{history.secret.number}"
    for name in metrics.REPORTS:
        for url in (
            reverse(f"reports:{name}"),
            reverse("reports:export", args=[name, "csv"]),
        ):
            body = client.get(url, JANUARY).content.decode()
            assert history.secret.subject not in body and secret not in body, url
    volume = client.get(reverse("reports:volume"), JANUARY).context["result"]
    assert summary(volume)["created"] == 4
