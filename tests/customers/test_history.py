"""Edits of contacts and organisations are logged and shown in plain words."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tiski.customers.actions import get_or_create_contact, save_contact, save_organisation
from tiski.customers.history import contact_history, organisation_history
from tiski.customers.models import CustomerChange, Organisation


@pytest.fixture
def agent(make_user):
    return make_user(name="Minna Virtanen", email="minna@yritys.fi", language="en")


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_a_contact_edit_records_who_changed_what(agent):
    """Name, identities added and removed, organisation, language and notes:
    one entry each, with the old and the new value, written by the action."""
    old_org = Organisation.objects.create(name="Vanha Oy")
    new_org = Organisation.objects.create(name="Uusi Oy")
    contact, _ = get_or_create_contact(
        "email", "pekka@vanha.fi", name="Pekka", organisation=old_org
    )
    save_contact(
        contact,
        actor=agent,
        name="Pekka Korhonen",
        emails=["pekka@uusi.fi"],
        phones=["040 765 4321"],
        organisation=new_org,
        language="en",
        notes="Soittaa aamuisin.",
    )
    change = CustomerChange.objects.get(contact=contact)
    assert change.actor == agent and not change.created
    assert sorted(change.changes, key=lambda e: (e["field"], "old" in e)) == [
        {"field": "email", "new": "pekka@uusi.fi"},
        {"field": "email", "old": "pekka@vanha.fi"},
        {"field": "language", "old": "fi", "new": "en"},
        {"field": "name", "old": "Pekka", "new": "Pekka Korhonen"},
        {"field": "notes", "old": "", "new": "Soittaa aamuisin."},
        {"field": "organisation", "old": "Vanha Oy", "new": "Uusi Oy"},
        {"field": "phone", "new": "+358407654321"},
    ]


def test_saving_without_a_change_logs_nothing(agent):
    contact = save_contact(None, actor=agent, name="Liisa", emails=["liisa@esimerkki.fi"])
    assert CustomerChange.objects.get(contact=contact).created
    save_contact(contact, actor=agent, name="Liisa", emails=["LIISA@esimerkki.fi"])
    assert CustomerChange.objects.filter(contact=contact).count() == 1


def test_an_organisation_edit_records_name_domains_and_notes(agent):
    org = save_organisation(None, actor=agent, name="Esimerkki", domains=["esimerkki.fi"])
    save_organisation(
        org, actor=agent, name="Esimerkki Oy", domains=["esimerkki.com"], notes="Avainasiakas"
    )
    latest = CustomerChange.objects.filter(organisation=org).first()
    assert {(e["field"], e.get("old"), e.get("new")) for e in latest.changes} == {
        ("name", "Esimerkki", "Esimerkki Oy"),
        ("domain", None, "esimerkki.com"),
        ("domain", "esimerkki.fi", None),
        ("notes", "", "Avainasiakas"),
    }
    with translation.override("en"):
        rows = organisation_history(org)
    assert rows[0].actor == "Minna Virtanen"
    assert "Added the domain esimerkki.com." in rows[0].sentences
    assert "Removed the domain esimerkki.fi." in rows[0].sentences
    assert rows[1].sentences == ["Created the organisation."]


def test_history_reads_in_finnish(agent):
    contact = save_contact(None, actor=agent, name="Liisa", emails=["liisa@esimerkki.fi"])
    save_contact(contact, actor=agent, name="Liisa Lahtinen", emails=[], language="en")
    with translation.override("fi"):
        sentences = contact_history(contact)[0].sentences
    assert "Muutti nimen “Liisa” muotoon “Liisa Lahtinen”." in sentences
    assert "Poisti sähköpostiosoitteen liisa@esimerkki.fi." in sentences
    assert "Vaihtoi kieleksi English (aiemmin Suomi)." in sentences


def test_the_desk_edit_shows_on_the_contact_page(agent_client):
    contact, _ = get_or_create_contact("email", "vanha@esimerkki.fi", name="Pekka")
    agent_client.post(
        reverse("desk:contact-edit", args=[contact.pk]),
        {"name": "Pekka", "emails": ["vanha@esimerkki.fi", "uusi@esimerkki.fi"], "language": "fi"},
    )
    page = agent_client.get(reverse("desk:contact", args=[contact.pk])).content.decode()
    assert 'id="customer-history"' in page
    assert "Minna Virtanen" in page and "Added the email address uusi@esimerkki.fi." in page


def test_the_organisation_page_shows_its_history(agent_client):
    agent_client.post(reverse("desk:organisation-new"), {"name": "Kahvila Oy", "domains": []})
    org = Organisation.objects.get(name="Kahvila Oy")
    page = agent_client.get(reverse("desk:organisation", args=[org.pk])).content.decode()
    assert "Created the organisation." in page
