"""Custom field values of a moved-in ticket land in the Tiski field of the same
key or label; a value the field cannot hold is reported, never lost."""

from __future__ import annotations

import pytest

from tiski.tickets import custom_fields

from . import test_freshdesk, test_zendesk


@pytest.mark.django_db
def test_freshdesk_cf_names_match_keys(make_field):
    make_field("tilausnumero", label_fi="Tilausnumero")
    test_freshdesk.run(test_freshdesk.FRESHDESK, "--no-fetch")
    ticket = test_freshdesk.ticket_for("123")
    assert custom_fields.values_of(ticket) == {"tilausnumero": "T-2024-0042"}


@pytest.mark.django_db
def test_zendesk_titles_match_labels_and_bad_values_are_reported(make_field):
    make_field("contract_number", label_fi="Sopimusnumero", label_en="Contract number")
    make_field(
        "product",
        kind="choice",
        label_fi="Tuote",
        options=[{"value": "tuote_a", "label_fi": "Tuote A", "label_en": "Product A"}],
    )
    output, summary = test_zendesk.run(test_zendesk.ZENDESK, "--no-fetch")
    solved = test_zendesk.ticket_for("12345")
    assert custom_fields.values_of(solved) == {"contract_number": "SOP-42", "product": "tuote_a"}
    # 12346's product is not an option here: reported, and still in the first note.
    assert custom_fields.values_of(test_zendesk.ticket_for("12346")) == {}
    assert any("ZD#12346" in line and "tuote_b" in line for line in summary.problems)
    note = test_zendesk.ticket_for("12346").messages.order_by("created_at", "pk").first()
    assert "tuote_b" in note.text
