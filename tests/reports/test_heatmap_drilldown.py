"""A volume heatmap cell links to exactly the tickets it counts."""

from __future__ import annotations

import re
from html import unescape

from django.urls import reverse

from tiski.reports import metrics, periods
from tiski.reports.metrics import ReportFilters, Scope
from tiski.reports.views import drill_url

from ..conftest import PASSWORD

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}
MONDAY, WEDNESDAY, FRIDAY = 0, 2, 4


def cell_url(user, weekday_row: int, hour: int, table: str = "heatmap_all") -> str:
    scope = Scope(user=user, period=periods.parse(JANUARY), filters=ReportFilters())
    cell = metrics.volume(scope).table(table).rows[weekday_row][1 + hour]
    return drill_url(scope, cell.drill) if cell.drill else ""


def listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {t.pk for t in response.context["page"].tickets}


def test_a_cell_lists_the_tickets_created_on_that_local_weekday_and_hour(history, client):
    client.login(username=history.manager.email, password=PASSWORD)
    # Monday 09 (Helsinki): the twice-reopened ticket (12.1.) and the pending one (19.1.).
    monday_9 = cell_url(history.manager, MONDAY, 9)
    assert "created_weekday=1" in monday_9 and "created_hour=9" in monday_9
    assert listed(client, monday_9) == {history.reopened.pk, history.pending.pk}
    assert listed(client, cell_url(history.manager, FRIDAY, 15)) == {history.weekend.pk}
    # Tuesday 20.1. 09: the merge target; the ticket merged into it (10:00) is out anyway.
    assert listed(client, cell_url(history.manager, 1, 9)) == {history.merge_target.pk}
    # The line above the list says what it shows.
    page = client.get(monday_9).content.decode()
    assert "drilldown-note" in page


def test_a_channel_heatmap_cell_keeps_its_channel(history, client):
    client.login(username=history.manager.email, password=PASSWORD)
    channel = history.weekend.channel
    url = cell_url(history.manager, FRIDAY, 15, f"heatmap_{channel}")
    assert f"channel={channel}" in url
    assert listed(client, url) == {history.weekend.pk}
    other = "phone" if channel != "phone" else "email"
    assert listed(client, url.replace(f"channel={channel}", f"channel={other}")) == set()


def test_empty_and_restricted_cells_link_nowhere_and_list_nothing(history, client, admin_user):
    # The restricted team's ticket (Wednesday 14.1. 09): an outsider's cell is empty.
    assert cell_url(history.outsider, WEDNESDAY, 9) == ""
    admins = cell_url(admin_user, WEDNESDAY, 9)
    assert admins
    client.login(username=history.outsider.email, password=PASSWORD)
    assert listed(client, admins) == set()  # the admin's link shows the outsider nothing


def test_the_page_heatmap_links_its_cells(history, client):
    client.login(username=history.manager.email, password=PASSWORD)
    page = client.get(reverse("reports:volume"), JANUARY).content.decode()
    svg = page[page.index('class="chart heatmap"') :]
    links = [unescape(h) for h in re.findall(r'<a href="([^"]+)"><rect class="heat', svg)]
    assert any("created_weekday=1" in h and "created_hour=9" in h for h in links)
    assert listed(client, next(h for h in links if "created_weekday=5" in h)) == {
        history.weekend.pk
    }
