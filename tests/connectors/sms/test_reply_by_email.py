"""On an SMS conversation whose contact has an email address, the agent may
reply by email instead: a choice in the composer, checked by the server."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.connectors.models import OutboundEmail, OutboundMessage
from tiski.customers.actions import add_identity
from tiski.tickets.models import Channel, MessageKind, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sms_ticket(post_generic, mailbox):
    payload = {"id": "gw-in-9", "from": "+358401234567", "to": "+358451110000", "text": "Hei?"}
    assert post_generic(payload).status_code == 200
    ticket = Ticket.objects.get()
    add_identity(ticket.requester, "email", "aino@example.com")
    return ticket


def reply(client, ticket, channel, text="Lähetimme ohjeet sähköpostiin."):
    data = {
        "kind": "public",
        "text": text,
        "reply_channel": channel,
        "last_seen_message": ticket.messages.last().pk,
    }
    return client.post(reverse("desk:ticket-reply", args=[ticket.number]), data)


def test_the_composer_offers_email_beside_sms(agent_client, sms_ticket):
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert 'id="reply-channel-sms"' in page and 'id="reply-channel-email"' in page
    assert "aino@example.com" in page


def test_reply_by_email_instead_goes_through_the_email_outbox(agent_client, sms_ticket, fake_api):
    assert reply(agent_client, sms_ticket, "email").status_code == 302
    message = sms_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.EMAIL
    assert message.meta["mailbox"] == "tuki@tiski.example"
    mail = OutboundEmail.objects.get(message=message)
    assert mail.to == ["aino@example.com"]
    assert not OutboundMessage.objects.exists() and fake_api.requests == []


def test_a_channel_the_ticket_does_not_offer_is_refused(agent_client, sms_ticket, fake_api):
    response = reply(agent_client, sms_ticket, "whatsapp")
    assert response.status_code == 400
    assert "Lähetimme ohjeet" in response.content.decode()  # the draft is kept
    assert not sms_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_without_an_address_there_is_no_email_choice(agent_client, post_generic, mailbox):
    payload = {"id": "gw-in-10", "from": "+358409999999", "to": "+358451110000", "text": "Moi"}
    post_generic(payload)
    ticket = Ticket.objects.get()
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert 'id="reply-channel-email"' not in page
    assert reply(agent_client, ticket, "email").status_code == 400


def test_an_opted_out_number_defaults_to_email_and_still_says_why(
    agent_client, sms_ticket, post_generic
):
    post_generic({"id": "gw-stop-9", "from": "+358401234567", "text": "STOP"})
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert 'id="unreachable-warning"' in page and "STOP" in page
    assert 'value="sms" id="reply-channel-sms" disabled' in page
    assert 'value="email" id="reply-channel-email" checked' in page
    assert reply(agent_client, sms_ticket, "sms").status_code == 400
    assert reply(agent_client, sms_ticket, "email").status_code == 302
