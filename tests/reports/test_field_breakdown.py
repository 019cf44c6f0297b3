"""The response report broken down by a custom choice field."""

from __future__ import annotations

from django.urls import reverse

from tiski.reports import facts, metrics, periods
from tiski.reports.metrics import ReportFilters, Scope
from tiski.tickets.models import TicketFieldValue

from ..conftest import PASSWORD

OPTIONS = [
    {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
    {"value": "parts", "label_fi": "Varaosat", "label_en": "Spare parts"},
]


def test_response_by_product_group(history, make_field, client):
    field = make_field("product_group", kind="choice", options=OPTIONS, label_en="Product group")
    # Straight to the value table: the history's tickets are solved or merged,
    # and these are its values, not a change made to it now.
    for ticket, value in ((history.weekend, "devices"), (history.reopened, "devices")):
        TicketFieldValue.objects.create(ticket=ticket, field=field, value=value, lookup=value)
    TicketFieldValue.objects.create(
        ticket=history.pending, field=field, value="parts", lookup="parts"
    )
    facts.refresh([t.pk for t in history.tickets])
    scope = Scope(
        user=history.manager,
        period=periods.parse({"from": "2026-01-01", "to": "2026-01-31"}),
        filters=ReportFilters(),
        by="field:product_group",
    )
    table = metrics.response(scope).table("by_field_product_group")
    rows = {row[0].value: row[1].value for row in table.rows}
    assert rows == {"Devices": 2, "Spare parts": 1, "—": 1}
    assert all(cell.drill is None for row in table.rows for cell in row[1:])
    client.login(username=history.manager.email, password=PASSWORD)
    page = client.get(
        reverse("reports:response"),
        {"from": "2026-01-01", "to": "2026-01-31", "by": "field:product_group"},
    ).content.decode()
    assert '<option value="field:product_group" selected>' in page
