"""Organisation requests in the portal: colleagues read and answer each other's
requests only while their organisation shares them, and nobody else ever does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from tiski.customers.actions import save_organisation
from tiski.customers.history import organisation_history
from tiski.customers.models import Contact, Organisation
from tiski.knowledge.models import HelpCentreSettings
from tiski.portal.models import PortalLink
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Ticket, Via

from .test_customer_portal import _link, _signed_in

SUBJECT = "Asiakas Oy:n kahvinkeitin vuotaa"
PUBLIC = "Julkinen vastaus kollegoille"
NOTE = "SALAINEN SISÄINEN MUISTIINPANO"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


@dataclass
class Office:
    organisation: Organisation
    requester: Contact
    colleague: Contact
    ticket: Ticket


@pytest.fixture
def office(make_contact, make_ticket, make_user, admin_user) -> Office:
    organisation = save_organisation(None, actor=admin_user, name="Asiakas Oy")
    requester = make_contact(email="liisa@asiakas.example", name="Liisa")
    colleague = make_contact(email="pekka@asiakas.example", name="Pekka")
    Contact.objects.filter(pk__in=[requester.pk, colleague.pk]).update(organisation=organisation)
    ticket = make_ticket(subject=SUBJECT, requester=requester)
    agent = make_user()
    actions.add_message(ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text=PUBLIC)
    actions.add_message(ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text=NOTE)
    return Office(organisation, requester, colleague, ticket)


def _share(office: Office, admin_user, value: bool | None) -> None:
    office.organisation = save_organisation(
        office.organisation, actor=admin_user, name="Asiakas Oy", portal_shared=value
    )


def _urls(number: int) -> list[str]:
    return [
        "/help/fi/portal/requests/",
        "/help/fi/portal/requests/?show=organisation",
        "/help/en/portal/requests/?show=organisation",
        f"/help/fi/portal/requests/{number}/",
        f"/help/en/portal/requests/{number}/",
    ]


def _refused_everywhere(client: Client, ticket: Ticket) -> None:
    """No page shows the ticket, and neither a reply nor "solved" reaches it."""
    for url in _urls(ticket.number):
        body = client.get(url).content.decode()
        assert SUBJECT not in body and PUBLIC not in body and NOTE not in body, url
    detail = f"/help/fi/portal/requests/{ticket.number}/"
    for data in ({"action": "reply", "text": "Tunkeilija"}, {"action": "solve"}):
        assert client.post(detail, data).status_code in (302, 404)
    assert not ticket.messages.filter(text="Tunkeilija").exists()
    ticket.refresh_from_db()
    assert ticket.status != Status.SOLVED


def test_colleague_reads_and_answers_when_the_organisation_shares(client, office, admin_user):
    _share(office, admin_user, True)
    _signed_in(client, "pekka@asiakas.example")
    mine = client.get("/help/fi/portal/requests/").content.decode()
    assert SUBJECT not in mine and 'id="portal-show-organisation"' in mine
    listed = client.get("/help/fi/portal/requests/?show=organisation").content.decode()
    assert SUBJECT in listed and "Liisa" in listed
    url = f"/help/fi/portal/requests/{office.ticket.number}/"
    detail = client.get(url).content.decode()
    assert PUBLIC in detail and NOTE not in detail
    assert 'id="portal-solve"' not in detail  # only the requester marks it solved
    reply = client.post(url, {"action": "reply", "text": "Pekka tässä, sama vika"})
    assert reply.status_code == 302
    message = office.ticket.messages.get(text="Pekka tässä, sama vika")
    assert message.kind == MessageKind.CUSTOMER and message.author_contact == office.colleague
    assert list(office.ticket.ccs.all()) == [office.colleague]  # replies reach them too
    refused = client.post(url, {"action": "solve"})
    assert refused.status_code == 400
    office.ticket.refresh_from_db()
    assert office.ticket.status != Status.SOLVED
    # The requester sees the colleague's message under the colleague's name.
    requester = _signed_in(Client(), "liisa@asiakas.example")
    page = requester.get(url).content.decode()
    assert "Pekka tässä, sama vika" in page and "Pekka" in page


def test_the_help_centre_default_decides_until_the_organisation_chooses(client, office, admin_user):
    _signed_in(client, "pekka@asiakas.example")
    url = f"/help/fi/portal/requests/{office.ticket.number}/"
    assert office.organisation.portal_shared is None
    assert client.get(url).status_code == 404
    HelpCentreSettings.objects.filter(pk=HelpCentreSettings.load().pk).update(
        organisation_requests=True
    )
    assert client.get(url).status_code == 200
    _share(office, admin_user, False)  # the organisation's own "no" wins
    assert client.get(url).status_code == 404


def test_switching_off_shuts_a_signed_in_colleague_out_at_once(client, office, admin_user):
    _share(office, admin_user, True)
    _signed_in(client, "pekka@asiakas.example")
    assert client.get(f"/help/fi/portal/requests/{office.ticket.number}/").status_code == 200
    _share(office, admin_user, False)
    _refused_everywhere(client, office.ticket)
    assert client.get(f"/help/fi/portal/requests/{office.ticket.number}/").status_code == 404
    page = client.get("/help/fi/portal/requests/?show=organisation").content.decode()
    assert 'id="portal-show-organisation"' not in page


def test_security_walk_refuses_everyone_else(client, office, admin_user, make_contact):
    """Another organisation's customer (that organisation sharing too), a colleague
    while sharing is off, an anonymous visitor, a used and an expired link."""
    other_org = save_organisation(None, actor=admin_user, name="Toinen Oy", portal_shared=True)
    outsider = make_contact(email="olli@toinen.example", name="Olli")
    Contact.objects.filter(pk=outsider.pk).update(organisation=other_org)
    HelpCentreSettings.objects.filter(pk=HelpCentreSettings.load().pk).update(
        organisation_requests=True
    )
    _share(office, admin_user, False)

    _refused_everywhere(_signed_in(Client(), "olli@toinen.example"), office.ticket)
    _refused_everywhere(_signed_in(Client(), "pekka@asiakas.example"), office.ticket)
    _refused_everywhere(Client(), office.ticket)

    _share(office, admin_user, True)  # links refused even while sharing is on
    used = _link(Client(), "pekka@asiakas.example")
    assert Client().get(used).status_code == 302
    late = Client()
    assert late.get(used).status_code == 403
    _refused_everywhere(late, office.ticket)
    expired = _link(Client(), "pekka@asiakas.example")
    PortalLink.objects.filter(used_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    stale = Client()
    assert stale.get(expired).status_code == 403
    _refused_everywhere(stale, office.ticket)


def test_desk_organisation_page_sets_the_switch_and_keeps_its_history(client, office, admin_user):
    client.force_login(admin_user)
    edit = f"/organisations/{office.organisation.pk}/edit/"
    form = client.get(edit).content.decode()
    assert 'name="portal_shared"' in form
    response = client.post(edit, {"name": "Asiakas Oy", "portal_shared": "on"})
    assert response.status_code == 302
    office.organisation.refresh_from_db()
    assert office.organisation.portal_shared is True
    with translation.override("en"):
        [latest, *_] = organisation_history(office.organisation)
    assert latest.sentences == ["Let colleagues see each other's requests in the portal."]
    client.post(edit, {"name": "Asiakas Oy", "portal_shared": ""})
    office.organisation.refresh_from_db()
    assert office.organisation.portal_shared is None


def test_settings_sets_the_default(client, admin_user, db):
    client.force_login(admin_user)
    response = client.post(
        "/settings/help-centre/",
        {"name": "", "colour": "#1f5fa8", "footer": "", "organisation_requests": "on"},
    )
    assert response.status_code == 302
    assert HelpCentreSettings.load().organisation_requests is True


def test_organisation_page_says_what_the_portal_shows(client, office, admin_user):
    client.force_login(admin_user)
    url = f"/organisations/{office.organisation.pk}/"
    with translation.override("en"):
        before = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="organisation-portal"' in before
    _share(office, admin_user, True)
    after = client.get(url).content.decode()
    assert after != before
