"""The customer portal: sign-in links, own tickets only, replies through the actions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from tiski.portal.models import PortalLink
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Via


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


@pytest.fixture
def liisa_ticket(make_ticket, make_contact, make_user):
    liisa = make_contact(email="liisa@asiakas.example", name="Liisa")
    ticket = make_ticket(subject="Liisan kahvinkeitin", requester=liisa)
    agent = make_user()
    actions.add_message(
        ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text="Julkinen vastaus"
    )
    actions.add_message(
        ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="SALAINEN MUISTIINPANO"
    )
    return ticket


@pytest.fixture
def other_ticket(make_ticket, make_contact):
    other = make_contact(email="olli@toinen.example", name="Olli")
    return make_ticket(subject="Ollin yksityinen asia", requester=other)


def _link(client, address: str) -> str:
    mail.outbox.clear()
    response = client.post("/help/fi/portal/", {"email": address})
    assert response.status_code == 200
    [message] = mail.outbox
    return re.search(r"http://testserver(/help/fi/portal/enter/\S+/)", message.body).group(1)


def _signed_in(client, address: str):
    response = client.get(_link(client, address))
    assert response.status_code == 302
    return client


def test_link_signs_in_once_and_shows_own_requests(client, liisa_ticket, other_ticket):
    link = _link(client, "Liisa@Asiakas.example")
    assert client.get(link).status_code == 302
    page = client.get("/help/fi/portal/requests/").content.decode()
    assert "Liisan kahvinkeitin" in page
    assert "Ollin yksityinen asia" not in page
    detail = client.get(f"/help/fi/portal/requests/{liisa_ticket.number}/").content.decode()
    assert "Julkinen vastaus" in detail
    assert "SALAINEN MUISTIINPANO" not in detail
    # The same link a second time signs nobody in.
    fresh = client.__class__()
    assert fresh.get(link).status_code == 403
    assert fresh.get("/help/fi/portal/requests/").status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db):
    response = client.post("/help/fi/portal/", {"email": "ei@ketaan.example"})
    assert response.status_code == 200 and 'id="portal-sent"' in response.content.decode()
    assert mail.outbox == []


def test_expired_or_made_up_link_is_refused(client, liisa_ticket):
    link = _link(client, "liisa@asiakas.example")
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.get(link).status_code == 403
    assert client.get("/help/fi/portal/enter/keksitty/").status_code == 403
    assert client.get(f"/help/fi/portal/requests/{liisa_ticket.number}/").status_code == 302


def test_another_customer_never_sees_the_ticket_on_any_portal_url(
    client, liisa_ticket, other_ticket
):
    _signed_in(client, "olli@toinen.example")
    number = liisa_ticket.number
    for url in (
        "/help/fi/portal/requests/",
        f"/help/fi/portal/requests/{number}/",
        f"/help/en/portal/requests/{number}/",
    ):
        body = client.get(url).content.decode()
        assert "Liisan kahvinkeitin" not in body and "Julkinen vastaus" not in body, url
    assert client.get(f"/help/fi/portal/requests/{number}/").status_code == 404
    response = client.post(f"/help/fi/portal/requests/{number}/", {"text": "Hyökkäys"})
    assert response.status_code == 404
    assert not liisa_ticket.messages.filter(text="Hyökkäys").exists()


def test_anonymous_visitor_is_sent_to_sign_in(client, liisa_ticket):
    for url in (
        "/help/fi/portal/requests/",
        f"/help/fi/portal/requests/{liisa_ticket.number}/",
        "/help/fi/portal/password/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/help/fi/portal/"


def test_reply_and_mark_solved_go_through_the_actions(client, liisa_ticket):
    _signed_in(client, "liisa@asiakas.example")
    url = f"/help/fi/portal/requests/{liisa_ticket.number}/"
    assert client.post(url, {"action": "reply", "text": "Kiitos, kokeilen"}).status_code == 302
    message = liisa_ticket.messages.get(text="Kiitos, kokeilen")
    assert message.kind == MessageKind.CUSTOMER
    assert message.author_contact == liisa_ticket.requester
    assert client.post(url, {"action": "solve"}).status_code == 302
    liisa_ticket.refresh_from_db()
    assert liisa_ticket.status == Status.SOLVED
    assert liisa_ticket.events.filter(field="status").exists()


def test_sign_in_links_are_rate_limited(client, liisa_ticket):
    for _ in range(5):
        client.post("/help/fi/portal/", {"email": "liisa@asiakas.example"})
    response = client.post("/help/fi/portal/", {"email": "liisa@asiakas.example"})
    assert response.status_code == 429
    assert len(mail.outbox) == 5
