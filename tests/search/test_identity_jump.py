"""An address or a number typed into the search box opens its contact's page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tiski.customers.actions import get_or_create_contact
from tiski.search.service import contact_for_identity


@pytest.fixture
def liisa(db):
    contact, _ = get_or_create_contact("email", "liisa@esimerkki.fi", name="Liisa Lahtinen")
    contact.identities.create(kind="phone", value="+358401234567")
    return contact


@pytest.mark.parametrize(
    "query",
    [
        "liisa@esimerkki.fi",
        "Liisa@Esimerkki.FI",
        "<liisa@esimerkki.fi>",
        "mailto:liisa@esimerkki.fi",
        "040 123 4567",
        "0401234567",
        "+358 40 123 4567",
        "00358 40 123 4567",
        "040-123 4567",
        "(040) 123 4567",
    ],
)
def test_every_common_form_finds_the_one_contact(liisa, query):
    assert contact_for_identity(query) == liisa


@pytest.mark.parametrize(
    "query", ["liisa", "esimerkki.fi", "lasku 040 123 4567", "4567", "nobody@esimerkki.fi"]
)
def test_anything_else_is_a_normal_search(liisa, query):
    assert contact_for_identity(query) is None


def test_the_search_page_redirects_to_the_contact(liisa, make_user):
    client = Client()
    client.force_login(make_user())
    response = client.get(reverse("search:search"), {"q": "+358 40 123 4567"})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:contact", args=[liisa.pk])
    normal = client.get(reverse("search:search"), {"q": "Lahtinen"})
    assert normal.status_code == 200
