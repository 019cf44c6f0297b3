"""Admins edit search synonyms in Settings; searches use them at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.search.models import SynonymGroup
from tiski.search.service import search_tickets
from tiski.setup.models import SettingChange


def numbers(results):
    return [hit.ticket.number for hit in results.hits]


def test_shipped_synonyms_find_each_other(admin_user, indexed_ticket):
    """The migration ships "lasku, faktuura"; a search for one finds the other."""
    assert SynonymGroup.objects.filter(words__contains="faktuura").exists()
    ticket = indexed_ticket(subject="Laskussa virhe", text="Laskuni summa on väärä")
    assert numbers(search_tickets(admin_user, "faktuura")) == [ticket.number]


def test_an_admin_adds_edits_and_removes_a_group(client, admin_user, indexed_ticket):
    ticket = indexed_ticket(subject="Kahvinkeitin", text="Keitin ei lämpene")
    assert numbers(search_tickets(admin_user, "perkolaattori")) == []
    client.force_login(admin_user)
    response = client.post(reverse("setup:synonyms"), {"words": "kahvinkeitin, perkolaattori"})
    assert response.status_code == 302
    assert numbers(search_tickets(admin_user, "perkolaattori")) == [ticket.number]
    group = SynonymGroup.objects.get(words__contains="perkolaattori")
    client.post(reverse("setup:synonym-edit", args=[group.pk]), {"words": "keitin, kone"})
    assert numbers(search_tickets(admin_user, "perkolaattori")) == []
    client.post(reverse("setup:synonym-delete", args=[group.pk]))
    assert not SynonymGroup.objects.filter(pk=group.pk).exists()
    logged = list(SettingChange.objects.filter(section="synonyms").values_list("action", flat=True))
    assert sorted(logged) == ["changed", "created", "deleted"]


@pytest.mark.parametrize(
    "words",
    ["lasku", "", "lasku faktuura, e-lasku", ",,"],
)
def test_a_group_needs_two_single_words(client, admin_user, words):
    client.force_login(admin_user)
    before = SynonymGroup.objects.count()
    response = client.post(reverse("setup:synonyms"), {"words": words})
    assert response.status_code == 400
    assert SynonymGroup.objects.count() == before
    assert 'role="alert"' in response.content.decode()


def test_agents_cannot_edit_synonyms(client, make_user):
    client.force_login(make_user())
    assert client.get(reverse("setup:synonyms")).status_code == 403
