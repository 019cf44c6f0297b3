"""Holiday countries in the calendar editor are named in the reader's language."""

from __future__ import annotations

from django.urls import reverse

from tiski.accounts.models import Role
from tiski.setup.forms_calendars import country_choices


def test_finnish_names_in_finnish_and_english_in_english():
    finnish = dict(country_choices("fi"))
    english = dict(country_choices("en"))
    assert finnish["FI"] == "Suomi (FI)" and finnish["SE"] == "Ruotsi (SE)"
    assert finnish["DE"] == "Saksa (DE)"
    assert english["SE"] == "Sweden (SE)" and english["AX"] == "Åland Islands (AX)"


def test_the_list_is_in_alphabetical_order_of_the_readers_language():
    names = [name for _code, name in country_choices("fi")]
    assert names.index("Ruotsi (SE)") < names.index("Saksa (DE)") < names.index("Suomi (FI)")
    assert names.index("Venäjä (RU)") < names.index("Yhdysvallat (US)")


def test_an_unknown_language_falls_back_to_english():
    assert dict(country_choices("xx"))["SE"] == "Sweden (SE)"


def test_the_editor_lists_countries_in_the_admins_language(client, make_user):
    admin = make_user(role=Role.ADMIN, language="fi")
    client.force_login(admin)
    page = client.get(reverse("setup:calendar-new")).content.decode()
    assert '<option value="SE">Ruotsi (SE)</option>' in page
    assert '<option value="FI" selected>Suomi (FI)</option>' in page


def test_the_calendar_list_names_the_country(client, make_user):
    client.force_login(make_user(role=Role.ADMIN, language="fi"))
    page = client.get(reverse("setup:calendars")).content.decode()
    assert "Suomi" in page  # the shipped office-hours calendar counts Finnish holidays
