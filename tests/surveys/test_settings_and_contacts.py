"""Settings -> Surveys (admins, logged) and the contact's survey opt-out in the desk."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.customers.actions import get_or_create_contact
from tiski.setup.models import SettingChange
from tiski.surveys.models import SurveySettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(role=Role.ADMIN, language="en"))
    return client


def form_data(**changes):
    row = SurveySettings.load()
    data = {
        "csat_enabled": "on" if row.csat_enabled else "",
        "nps_enabled": "on" if row.nps_enabled else "",
        "link_days": row.link_days,
        "change_days": row.change_days,
        "csat_cooldown_days": row.csat_cooldown_days,
        "nps_cooldown_days": row.nps_cooldown_days,
        "nps_interval_days": row.nps_interval_days,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_admin_changes_texts_and_days_and_the_change_is_logged(admin_client):
    page = admin_client.get(reverse("setup:surveys"))
    assert page.status_code == 200
    assert "How did we do?" in page.content.decode()  # the default shown as placeholder
    response = admin_client.post(
        reverse("setup:surveys"),
        form_data(nps_enabled="on", csat_subject_en="Rate us", link_days=7, csat_cooldown_days=30),
    )
    assert response.status_code == 302
    row = SurveySettings.load()
    assert (row.nps_enabled, row.csat_subject_en, row.link_days, row.csat_cooldown_days) == (
        True,
        "Rate us",
        7,
        30,
    )
    change = SettingChange.objects.get(section="surveys")
    assert change.changes["link_days"] == [14, 7]
    assert change.changes["csat_subject_en"] == ["", "Rate us"]


def test_unknown_placeholders_are_refused(admin_client):
    response = admin_client.post(
        reverse("setup:surveys"), form_data(csat_question_fi="Hei {{ ticket.secret }}")
    )
    assert response.status_code == 400
    assert SurveySettings.load().csat_question_fi == ""


def test_agents_cannot_open_the_section(client, make_user):
    client.force_login(make_user(role=Role.AGENT))
    assert client.get(reverse("setup:surveys")).status_code == 403


def test_the_section_is_in_the_settings_nav(admin_client):
    assert reverse("setup:surveys") in admin_client.get(reverse("setup:home")).content.decode()


def test_agent_sets_the_contacts_survey_opt_out(client, make_user):
    client.force_login(make_user(name="Minna"))
    contact, _ = get_or_create_contact("email", "pekka@esimerkki.fi", name="Pekka")
    url = reverse("desk:contact-edit", args=[contact.pk])
    assert 'name="surveys_opt_out"' in client.get(url).content.decode()
    data = {"name": "Pekka", "emails": ["pekka@esimerkki.fi"], "language": "fi"}
    assert client.post(url, {**data, "surveys_opt_out": "on"}).status_code == 302
    contact.refresh_from_db()
    assert contact.surveys_opt_out
    assert (
        'id="surveys-opt-out"'
        in client.get(reverse("desk:contact", args=[contact.pk])).content.decode()
    )
    assert client.post(url, data).status_code == 302
    contact.refresh_from_db()
    assert not contact.surveys_opt_out
