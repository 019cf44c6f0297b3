"""Replies by WhatsApp through the outbox; statuses; the 24-hour window and templates."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tiski.connectors.messaging import outbox
from tiski.connectors.models import MessageStatus, OutboundMessage
from tiski.connectors.whatsapp.models import WhatsAppTemplate
from tiski.tickets.models import Channel, MessageKind, Ticket

from ..replies import reply
from .conftest import ACCESS_TOKEN, PHONE_NUMBER_ID, status_hook, text_hook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wa_ticket(post_hook):
    assert post_hook(text_hook("wamid.IN1", "Missä tilaukseni on?")).status_code == 200
    return Ticket.objects.get()


def test_reply_goes_out_by_whatsapp(agent_client, wa_ticket, fake_api):
    page = agent_client.get(wa_ticket.get_absolute_url()).content.decode()
    assert "+358401234567" in page and "+358451230000" in page and 'data-max-length="4096"' in page
    assert reply(agent_client, wa_ticket).status_code == 302
    message = wa_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.WHATSAPP
    row = OutboundMessage.objects.get(message=message)
    assert row.status == MessageStatus.SENT and row.provider_message_id == "wamid.OUT1"
    sent = fake_api.requests[-1]
    assert sent["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert sent["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert json.loads(sent["body"]) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "358401234567",
        "type": "text",
        "text": {"preview_url": False, "body": "Tilaus lähti tänään."},
    }


def test_statuses_move_the_outbox_row(agent_client, wa_ticket, post_hook):
    reply(agent_client, wa_ticket)
    row = OutboundMessage.objects.get()
    post_hook(status_hook("wamid.OUT1", "delivered"))
    post_hook(status_hook("wamid.OUT1", "read"))
    row.refresh_from_db()
    assert row.status == MessageStatus.READ and row.delivered_at and row.read_at


def test_a_failed_status_is_shown_on_the_message(agent_client, wa_ticket, post_hook):
    reply(agent_client, wa_ticket)
    errors = [{"code": 131026, "title": "Message undeliverable"}]
    post_hook(status_hook("wamid.OUT1", "failed", errors))
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.FAILED and "131026" in row.last_error
    page = agent_client.get(wa_ticket.get_absolute_url()).content.decode()
    assert "Message undeliverable" in page


def test_api_down_retries_and_a_400_fails_for_good(agent_client, wa_ticket, fake_api):
    fake_api.answer((503, {"error": {"message": "Service temporarily unavailable", "code": 2}}),
                    (200, {"messages": [{"id": "wamid.OUT2"}]}))  # fmt: skip
    reply(agent_client, wa_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING and "503" in row.last_error
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        outbox.send_message(row.pk)
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "wamid.OUT2"
    fake_api.answer((400, {"error": {"message": "(#100) Invalid parameter", "code": 100}}))
    reply(agent_client, wa_ticket, "Toinen viesti")
    failed = OutboundMessage.objects.exclude(pk=row.pk).get()
    assert failed.status == MessageStatus.FAILED and "Invalid parameter" in failed.last_error


def test_outside_the_window_free_text_is_refused_and_a_template_goes(
    agent_client, wa_ticket, fake_api, account
):
    template = WhatsAppTemplate.objects.create(
        account=account, name="tilaus_valmis", language="fi",
        body="Hei {{1}}, tilauksesi {{2}} on valmis.", variables=2,
    )  # fmt: skip
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        page = agent_client.get(wa_ticket.get_absolute_url()).content.decode()
        assert "over 24 hours ago" in page or "yli 24 tuntia" in page
        assert "tilaus_valmis" in page
        response = reply(agent_client, wa_ticket)
        assert response.status_code == 400
        assert not wa_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
        sent = agent_client.post(
            reverse("desk:ticket-whatsapp-template", args=[wa_ticket.number]),
            {"template": template.pk, "variables": "Aino\n4411"},
        )
        assert sent.status_code == 302
    message = wa_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.text == "Hei Aino, tilauksesi 4411 on valmis."
    body = json.loads(fake_api.requests[-1]["body"])
    assert body["type"] == "template"
    assert body["template"] == {
        "name": "tilaus_valmis",
        "language": {"code": "fi"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Aino"}, {"type": "text", "text": "4411"}],
            }  # fmt: skip
        ],
    }


def test_a_rule_reply_outside_the_window_fails_without_calling_meta(wa_ticket, fake_api, account):
    from tiski.tickets import actions
    from tiski.tickets.models import Via

    calls = len(fake_api.requests)
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        with actions.unit_of_work():
            actions.add_message(
                wa_ticket, kind=MessageKind.PUBLIC, actor=None, via=Via.RULE,
                text="Muistutus", channel=Channel.WHATSAPP,
                meta={"account": account.pk, "to": "+358401234567"},
            )  # fmt: skip
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.FAILED and "24 hours" in row.last_error
    assert len(fake_api.requests) == calls
