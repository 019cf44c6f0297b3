"""Issue #13, defect 1: every phone identity is stored in E.164, whatever the way in.

One regression test per example in the issue, plus the migration that
rewrites older rows and merges the contacts that turn out to be one.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.conftest import PASSWORD
from tiski.connectors.phone.models import Call
from tiski.customers.actions import find_contact, get_or_create_contact
from tiski.customers.merge import undo_merge
from tiski.customers.models import Contact, ContactMerge, Identity
from tiski.customers.phone_identities import normalise_phone_identities
from tiski.customers.phones import search_fragments, to_e164
from tiski.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_typed_with_00358_is_stored_in_e164_and_a_call_finds_it(post_event):
    """ "00358 40 444 5555" is stored as +358404445555, and a call from that number finds her."""
    contact, _created = get_or_create_contact("phone", "00358 40 444 5555", name="Aino")
    assert contact.phones == ["+358404445555"]
    post_event({"call_id": "e-1", "event": "ringing", "from": "+358404445555"})
    assert Call.objects.get(call_id="e-1").contact == contact


def test_three_written_forms_are_one_contact():
    """ "040 123 4567", "+358 40 123 4567" and "00358 40 123 4567" are one person."""
    first, created = get_or_create_contact("phone", "040 123 4567")
    assert created
    for written in ("+358 40 123 4567", "00358 40 123 4567", "0401234567"):
        again, created = get_or_create_contact("phone", written)
        assert again == first and not created
    assert Identity.objects.filter(kind="phone").count() == 1
    assert find_contact("phone", "+358401234567") == first


def test_new_contact_from_the_desk_gets_an_e164_phone(client, make_user):
    """A new contact's phone typed as "0401234567" on the desk form is saved as +358401234567."""
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    response = client.post(
        "/tickets/new/",
        {
            "new_name": "Pekka Puhelin",
            "new_phone": "0401234567",
            "subject": "Soitti laskusta",
            "text": "Kysyi laskusta.",
            "first_message_kind": "customer",
            "channel": "phone",
            "priority": "normal",
        },
    )
    assert response.status_code == 302, response.content
    assert Ticket.objects.get().requester.phones == ["+358401234567"]


def test_desk_form_refuses_what_is_not_a_number(client, make_user):
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    response = client.post(
        "/tickets/new/",
        {"new_name": "X", "new_phone": "12", "subject": "s", "text": "t", "channel": "phone"},
    )
    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_admin_validation_normalises_and_refuses():
    """The admin's identity inline runs the model's clean: normalised, or a sentence why not."""
    contact = Contact.objects.create(name="Admin-lisätty")
    identity = Identity(contact=contact, kind="phone", value="040 123 4567")
    identity.full_clean()
    assert identity.value == "+358401234567"
    with pytest.raises(ValidationError):
        Identity(contact=contact, kind="phone", value="ei numero 1").full_clean()


def test_export_prints_e164(make_ticket):
    """export-tickets prints +358401234567 as docs/export-format.md promises."""
    contact, _created = get_or_create_contact("phone", "0401234567", name="Pekka")
    make_ticket(requester=contact, channel="phone")
    out = StringIO()
    call_command("export_tickets", stdout=out)
    line = json.loads(out.getvalue().splitlines()[0])
    assert line["requester"]["phones"] == ["+358401234567"]


@pytest.mark.parametrize("query", ["+35844758", "0447586", "044 758 6049", "00358 44 758"])
def test_contact_search_accepts_any_written_form(client, make_user, query):
    """The search finds +358447586049 from each form in the issue, in the desk and its lookup."""
    contact, _created = get_or_create_contact("phone", "044 758 6049", name="Ville Vastaaja")
    get_or_create_contact("phone", "050 111 2222", name="Joku Muu")
    assert list(Contact.objects.matching(query)) == [contact]
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    assert "Ville Vastaaja" in client.get("/contacts/", {"q": query}).content.decode()
    lookup = client.get("/contacts/lookup/", {"q": query}).content.decode()
    assert "Ville Vastaaja" in lookup and "Joku Muu" not in lookup


def test_search_fragments_only_for_numbers():
    assert search_fragments("Virtanen") == []
    assert search_fragments("04") == []
    assert search_fragments("4758") == ["4758"]


def test_region_comes_from_the_setting(settings):
    """TISKI_PHONE_REGION decides what a number without a country code means."""
    settings.TISKI_PHONE_REGION = "SE"
    assert to_e164("070 123 45 67") == "+46701234567"
    contact, _created = get_or_create_contact("phone", "070 123 45 67")
    assert contact.phones == ["+46701234567"]


def _legacy(contact: Contact, value: str) -> Identity:
    """An identity as stored before E.164: written past the model's save."""
    identity = Identity.objects.create(contact=contact, kind="phone", value="+358500000000")
    Identity.objects.filter(pk=identity.pk).update(value=value)
    return identity


def test_migration_rewrites_and_merges_undoably(make_ticket):
    """Older rows become E.164; two contacts with one number merge, recorded and undoable."""
    older = Contact.objects.create(name="Liisa")
    newer = Contact.objects.create(name="Liisa L.")
    alone = Contact.objects.create(name="Yksin")
    _legacy(older, "00358404445555")
    _legacy(newer, "040 444 5555")
    _legacy(alone, "0401234567")
    _legacy(alone, "123")  # an internal extension: kept as it is
    ticket = make_ticket(requester=newer, channel="phone")

    report = normalise_phone_identities(apps, "FI")

    assert report.merged == [(newer.pk, older.pk)] and report.unparsable == ["123"]
    assert older.phones == ["+358404445555"]
    assert sorted(Contact.objects.get(pk=alone.pk).phones) == ["+358401234567", "123"]
    assert not Contact.objects.filter(pk=newer.pk).exists()
    ticket.refresh_from_db()
    assert ticket.requester_id == older.pk
    record = ContactMerge.objects.get()
    assert record.moved["dropped_identities"][0]["value"] == "040 444 5555"

    restored = undo_merge(record, actor=None)
    assert restored.pk == newer.pk and restored.name == "Liisa L."
    ticket.refresh_from_db()
    assert ticket.requester_id == newer.pk
    # Run twice: nothing left to do.
    assert normalise_phone_identities(apps, "FI").rewritten == 0


def test_normalise_phones_command(settings):
    contact = Contact.objects.create(name="Sven")
    _legacy(contact, "070 123 45 67")
    out = StringIO()
    call_command("normalise_phones", "--region", "se", stdout=out)
    assert contact.phones == ["+46701234567"]
    assert "1" in out.getvalue()


@pytest.mark.parametrize("query", ["0447586", "044 758 6049", "00358 44 758"])
def test_top_bar_contact_search_accepts_any_written_form(query):
    """The search page's contact results read numbers the same way as the contact list."""
    from tiski.search.service import search_contacts

    contact, _created = get_or_create_contact("phone", "044 758 6049", name="Ville Vastaaja")
    get_or_create_contact("phone", "050 758 6049", name="Joku Muu")
    assert search_contacts(query) == [contact]
