"""Custom fields in the ticket's side panel, in a real browser: edited with the
other fields, required to solve, shown in the conversation's events."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tiski.tickets import custom_fields
from tiski.tickets.models import Status, TicketType

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def complaint(make_user, make_team, make_ticket, make_contact, make_field):
    team = make_team("Asiakastuki")
    make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    # A browser test's database is emptied between tests (the migration's
    # ticket types with it), so the type is made here when it is not there.
    complaint_type, _ = TicketType.objects.get_or_create(
        slug="complaint", defaults={"name_fi": "Reklamaatio", "name_en": "Complaint"}
    )
    make_field("order_number", label_fi="Tilausnumero", label_en="Order number")
    make_field(
        "product_group",
        kind="choice",
        label_fi="Tuoteryhmä",
        label_en="Product group",
        options=[
            {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
            {"value": "parts", "label_fi": "Varaosat", "label_en": "Spare parts"},
        ],
        types=[complaint_type],
        required_on_solve=True,
    )
    make_field(
        "warranty_until",
        kind="date",
        label_fi="Takuu päättyy",
        types=[
            TicketType.objects.get_or_create(
                slug="quote-request", defaults={"name_fi": "Tarjouspyyntö", "name_en": "Quote"}
            )[0]
        ],
    )
    return make_ticket(
        subject="Kahvinkeitin vuotaa",
        text="Keitin vuotaa vettä pöydälle.",
        requester=make_contact(email="liisa@asiakas.fi", name="Liisa Lahtinen"),
        team=team,
        type=complaint_type,
    )


def test_edit_fields_in_the_side_panel_and_solve(new_page, complaint):
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(complaint.get_absolute_url())
    panel = page.locator("#fields-form")
    # The complaint's fields, not those of other types.
    expect(panel.locator("label[for=id_cf_product_group]")).to_have_text("Tuoteryhmä")
    expect(panel.locator("#id_cf_order_number")).to_be_visible()
    expect(panel.locator("#id_cf_warranty_until")).to_have_count(0)

    # Solving without the required field is refused, and says which field.
    panel.locator("#id_cf_order_number").fill("PM-245001")
    panel.locator("#id_status").select_option(Status.SOLVED)
    panel.locator("#save-fields").click()
    error = page.locator("#fields-form .form-error")
    expect(error).to_contain_text("Tuoteryhmä")
    complaint.refresh_from_db()
    assert complaint.status != Status.SOLVED
    assert custom_fields.values_of(complaint) == {}  # nothing half-saved
    # What was typed is still there to correct.
    expect(page.locator("#id_cf_order_number")).to_have_value("PM-245001")
    screenshot(page, "ticket-fields-required")

    page.locator("#id_cf_product_group").select_option("devices")
    page.locator("#save-fields").click()
    expect(page.locator("#fields-form .saved")).to_be_visible()
    expect(page.locator("#id_cf_product_group")).to_have_value("devices")
    # The conversation shows each change with the field's label and value.
    expect(page.locator("#conversation")).to_contain_text("Tuoteryhmä")
    expect(page.locator("#conversation")).to_contain_text("Laitteet")
    expect(page.locator("#conversation")).to_contain_text("PM-245001")
    screenshot(page, "ticket-fields-saved")
    complaint.refresh_from_db()
    assert complaint.status == Status.SOLVED
    assert custom_fields.values_of(complaint) == {
        "order_number": "PM-245001",
        "product_group": "devices",
    }
