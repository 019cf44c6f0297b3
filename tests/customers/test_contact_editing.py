"""Contacts and organisations created and edited in the desk."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Contact, ContactMerge, Identity, Organisation


@pytest.fixture
def agent(make_user):
    return make_user(name="Minna Virtanen", email="minna@yritys.fi")


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


def _values(contact: Contact, kind: str) -> list[str]:
    return sorted(contact.identities.filter(kind=kind).values_list("value", flat=True))


def test_create_contact_with_several_emails_and_numbers(agent_client):
    org = Organisation.objects.create(name="Oy Esimerkki Ab")
    response = agent_client.post(
        reverse("desk:contact-new"),
        {
            "name": "Liisa Lahtinen",
            "emails": ["Liisa@Esimerkki.fi", "liisa.lahtinen@gmail.com", ""],
            "phones": ["+358 40 123 4567", "09 555 1234"],
            "organisation": org.pk,
            "language": "en",
            "notes": "Soittaa mieluiten aamupäivisin.",
        },
    )
    contact = Contact.objects.get(name="Liisa Lahtinen")
    assert response.status_code == 302 and response["Location"] == reverse(
        "desk:contact", args=[contact.pk]
    )
    assert _values(contact, "email") == ["liisa.lahtinen@gmail.com", "liisa@esimerkki.fi"]
    assert len(_values(contact, "phone")) == 2
    assert contact.organisation == org and contact.language == "en"
    assert "aamupäivisin" in contact.notes
    page = agent_client.get(reverse("desk:contact", args=[contact.pk])).content.decode()
    assert "liisa@esimerkki.fi" in page and 'id="merge-suggestions"' in page


def test_edit_contact_adds_and_removes_identities(agent_client):
    contact, _ = get_or_create_contact("email", "vanha@esimerkki.fi", name="Pekka")
    page = agent_client.get(reverse("desk:contact-edit", args=[contact.pk])).content.decode()
    assert 'value="vanha@esimerkki.fi"' in page
    response = agent_client.post(
        reverse("desk:contact-edit", args=[contact.pk]),
        {
            "name": "Pekka Korhonen",
            "emails": ["uusi@esimerkki.fi"],
            "phones": ["040 765 4321"],
            "language": "fi",
        },
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Pekka Korhonen"
    assert _values(contact, "email") == ["uusi@esimerkki.fi"]
    assert not Identity.objects.filter(value="vanha@esimerkki.fi").exists()
    assert len(_values(contact, "phone")) == 1


def test_an_identity_of_another_contact_is_refused_with_a_merge_offer(agent_client):
    """The address is not moved silently: the form says whose it is and offers
    to merge that contact into this one, which the button then does."""
    owner, _ = get_or_create_contact("email", "yhteinen@esimerkki.fi", name="Maija Virta")
    contact, _ = get_or_create_contact("email", "maija@toinen.fi", name="Maija")
    url = reverse("desk:contact-edit", args=[contact.pk])
    response = agent_client.post(
        url,
        {"name": "Maija", "emails": ["maija@toinen.fi", "YHTEINEN@esimerkki.fi"], "language": "fi"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'data-taken-owner="{owner.pk}"' in page and "Maija Virta" in page
    assert f'data-merge-owner="{owner.pk}"' in page
    assert Identity.objects.get(value="yhteinen@esimerkki.fi").contact == owner
    # What was typed is kept in the form.
    assert 'value="YHTEINEN@esimerkki.fi"' in page

    agent_client.post(reverse("customers:contact-merge", args=[contact.pk]), {"other": owner.pk})
    assert ContactMerge.objects.filter(target=contact, source_id=owner.pk).exists()
    assert Identity.objects.get(value="yhteinen@esimerkki.fi").contact == contact


def test_new_contact_with_a_taken_number_points_to_its_owner(agent_client):
    owner, _ = get_or_create_contact("phone", "+358401234567", name="Olli Omistaja")
    response = agent_client.post(
        reverse("desk:contact-new"),
        {"name": "Uusi", "phones": ["+358401234567"], "language": "fi"},
    )
    assert response.status_code == 400
    assert reverse("desk:contact", args=[owner.pk]) in response.content.decode()
    assert not Contact.objects.filter(name="Uusi").exists()


def test_invalid_values_are_named_in_place(agent_client):
    response = agent_client.post(
        reverse("desk:contact-new"),
        {"name": "X", "emails": ["ei-osoite"], "phones": ["12"], "language": "fi"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "ei-osoite" in page and not Contact.objects.filter(name="X").exists()


def test_organisation_create_and_edit_with_domains(agent_client):
    response = agent_client.post(
        reverse("desk:organisation-new"),
        {"name": "Rakennus Oy", "domains": ["Rakennus.fi", "@rakennus.com"], "notes": "Iso"},
    )
    org = Organisation.objects.get(name="Rakennus Oy")
    assert response.status_code == 302
    assert sorted(org.domains.values_list("domain", flat=True)) == ["rakennus.com", "rakennus.fi"]
    # A new sender from the domain joins the organisation.
    contact, _ = get_or_create_contact("email", "pomo@rakennus.fi")
    assert contact.organisation == org

    other = Organisation.objects.create(name="Toinen Oy")
    response = agent_client.post(
        reverse("desk:organisation-edit", args=[other.pk]),
        {"name": "Toinen Oy", "domains": ["rakennus.fi"]},
    )
    assert response.status_code == 400 and "Rakennus Oy" in response.content.decode()
    agent_client.post(
        reverse("desk:organisation-edit", args=[org.pk]),
        {"name": "Rakennus Oyj", "domains": ["rakennus.fi"], "notes": ""},
    )
    org.refresh_from_db()
    assert org.name == "Rakennus Oyj"
    assert list(org.domains.values_list("domain", flat=True)) == ["rakennus.fi"]


def test_light_agents_cannot_edit_contacts(client, make_user):
    light = make_user(role=Role.LIGHT_AGENT)
    contact, _ = get_or_create_contact("email", "a@esimerkki.fi", name="A")
    client.login(username=light.email, password=PASSWORD)
    client.post(
        reverse("desk:contact-edit", args=[contact.pk]),
        {"name": "Muutettu", "emails": ["a@esimerkki.fi"], "language": "fi"},
    )
    contact.refresh_from_db()
    assert contact.name == "A"


def test_contact_page_marks_an_address_that_bounces(agent_client):
    from django.utils import timezone

    contact, _ = get_or_create_contact("email", "pois@esimerkki.fi", name="Poissa")
    Identity.objects.filter(contact=contact).update(
        undeliverable_at=timezone.now(), undeliverable_reason="550 no such user"
    )
    page = agent_client.get(reverse("desk:contact", args=[contact.pk])).content.decode()
    assert 'class="badge undeliverable" title="550 no such user"' in page
