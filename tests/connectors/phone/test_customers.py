"""One customer across channels: merge suggestions, merge and undo, the timeline."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tiski.customers.actions import add_identity, find_contact
from tiski.customers.merge import all_suggestions, merge_contacts, suggestions_for, undo_merge
from tiski.customers.models import Contact, ContactMerge, Identity, Organisation
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Via

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair(make_contact, make_ticket):
    org = Organisation.objects.create(name="Asiakas Oy")
    work = make_contact(email="liisa@asiakas.fi", name="Liisa Lahtinen", organisation=org)
    home = make_contact(email="liisa.l@gmail.com", name="Liisa  Lahtinen", organisation=org)
    add_identity(work, "phone", "+358401234567")
    # Stored before numbers were E.164 (the model's save would normalise it).
    legacy = add_identity(home, "phone", "+358409999999")
    Identity.objects.filter(pk=legacy.pk).update(value="0401234567")
    t_work = make_ticket(subject="Työasia", requester=work)
    t_home = make_ticket(subject="Kotiasia", requester=home)
    closed = make_ticket(subject="Vanha", requester=home)
    actions.update_ticket(closed, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    cc_ticket = make_ticket(subject="Kopio")
    actions.add_ccs(cc_ticket, [home], actor=None, via=Via.SYSTEM)
    return {"work": work, "home": home, "tickets": (t_work, t_home, closed, cc_ticket)}


def test_suggestions(pair):
    """Same phone (in any stored form) plus same name and organisation: a sure suggestion."""
    found = suggestions_for(pair["work"])
    assert [s.other for s in found] == [pair["home"]]
    assert found[0].score == 95
    assert set(found[0].reasons) == {"same_phone", "same_name_and_organisation"}
    assert {(s.contact, s.other) for s in all_suggestions()} == {(pair["work"], pair["home"])}


def test_merge_and_undo(pair, make_user):
    agent = make_user()
    work, home = pair["work"], pair["home"]
    t_work, t_home, closed, cc_ticket = pair["tickets"]
    home_id = home.pk
    record = merge_contacts(home, work, actor=agent)
    assert not Contact.objects.filter(pk=home_id).exists()
    assert find_contact("email", "liisa.l@gmail.com") == work
    assert set(work.tickets.values_list("pk", flat=True)) == {t_work.pk, t_home.pk, closed.pk}
    assert list(cc_ticket.ccs.all()) == [work]
    assert t_home.events.filter(field="requester").exists()  # the merge is on the ticket's record
    assert t_home.messages.get().author_contact == work

    undo_merge(record, actor=agent)
    home = Contact.objects.get(pk=home_id)
    assert home.name == "Liisa  Lahtinen"
    assert set(home.identities.values_list("value", flat=True)) == {
        "liisa.l@gmail.com",
        "0401234567",
    }
    assert set(home.tickets.values_list("pk", flat=True)) == {t_home.pk, closed.pk}
    assert list(cc_ticket.ccs.all()) == [home]
    assert t_home.messages.get().author_contact == home
    assert set(work.identities.values_list("value", flat=True)) == {
        "liisa@asiakas.fi",
        "+358401234567",
    }
    record.refresh_from_db()
    assert record.undone_at is not None and record.undone_by == agent


def test_merge_views_and_timeline(client, pair, make_user):
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    work, home = pair["work"], pair["home"]
    page = client.get(f"/customers/contacts/{work.pk}/merge/").content.decode()
    assert f'data-merge="{home.pk}"' in page
    client.post(f"/customers/contacts/{work.pk}/merge/", {"other": home.pk})
    record = ContactMerge.objects.get()
    timeline = client.get(f"/customers/contacts/{work.pk}/timeline/").content.decode()
    assert "Työasia" in timeline and "Kotiasia" in timeline and 'class="chan"' in timeline
    org_timeline = client.get(f"/customers/organisations/{work.organisation_id}/timeline/")
    assert "Työasia" in org_timeline.content.decode()
    client.post(f"/customers/merges/{record.pk}/undo/")
    assert Contact.objects.filter(pk=home.pk).exists()


def test_timeline_respects_visibility(client, make_user, make_team, make_contact, make_ticket):
    secret = make_team("Johto", restricted=True)
    customer = make_contact(name="Pekka")
    make_ticket(subject="Julkinen asia", requester=customer)
    make_ticket(subject="Salainen asia", requester=customer, team=secret)
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    page = client.get(f"/customers/contacts/{customer.pk}/timeline/").content.decode()
    assert "Julkinen asia" in page and "Salainen asia" not in page


def test_light_agent_cannot_merge(client, pair, make_user):
    light = make_user(role="light_agent")
    client.login(username=light.email, password=PASSWORD)
    client.post(f"/customers/contacts/{pair['work'].pk}/merge/", {"other": pair["home"].pk})
    assert not ContactMerge.objects.exists()


def test_side_panel_links(client, make_user, make_ticket):
    agent = make_user()
    ticket = make_ticket()
    client.login(username=agent.email, password=PASSWORD)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f"/customers/contacts/{ticket.requester_id}/timeline/" in page
    assert f"/customers/contacts/{ticket.requester_id}/merge/" in page
    assert ticket.messages.get().kind == MessageKind.CUSTOMER
