"""Replies on an SMS conversation go out by SMS through the outbox, to a provider on loopback."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tiski.connectors import sending
from tiski.connectors.messaging import outbox
from tiski.connectors.models import MessageStatus, OutboundEmail, OutboundMessage
from tiski.tickets.models import Channel, MessageKind, Ticket

from ..replies import reply
from .conftest import TWILIO_SID, TWILIO_TOKEN, twilio_inbound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sms_ticket(post_generic):
    payload = {"id": "gw-in-1", "from": "+358401234567", "to": "+358451110000", "text": "Hei?"}
    assert post_generic(payload).status_code == 200
    return Ticket.objects.get()


def test_the_composer_says_the_reply_goes_by_sms(agent_client, sms_ticket):
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert "+358401234567" in page and "+358451110000" in page
    assert 'data-max-length="1600"' in page


def test_reply_goes_out_by_sms(agent_client, sms_ticket, fake_api, generic_account):
    response = reply(agent_client, sms_ticket)
    assert response.status_code == 302, response.content
    message = sms_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.SMS
    assert not OutboundEmail.objects.exists()
    row = OutboundMessage.objects.get(message=message)
    assert row.status == MessageStatus.SENT and row.provider_message_id == "prov-1"
    sent = fake_api.requests[0]
    assert sent["path"] == "/messages"
    assert sent["headers"]["Authorization"] == "Bearer gw-token-1"
    assert json.loads(sent["body"]) == {
        "to": "+358401234567",
        "from": "+358451110000",
        "text": "Tilaus lähti tänään.",
    }
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert "SMS: sent" in page or "Tekstiviesti: lähetetty" in page


def test_provider_down_the_reply_waits_and_retries_with_backoff(agent_client, sms_ticket, fake_api):
    fake_api.answer((503, {"error": "maintenance"}), (200, {"id": "prov-9"}))
    before = timezone.now()
    reply(agent_client, sms_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING and row.attempts == 1
    assert "HTTP 503" in row.last_error
    assert row.next_attempt_at >= before + timedelta(minutes=1)
    # Not due yet: the sweep leaves it alone.
    assert outbox.send_message(row.pk) == sending.SendResult.UNCHANGED
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        assert outbox.sweep()["requeued"] == 1
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "prov-9"
    assert len(fake_api.requests) == 2


def test_retry_after_is_honoured(agent_client, sms_ticket, fake_api):
    fake_api.answer((429, {}, {"Retry-After": "1200"}))
    before = timezone.now()
    reply(agent_client, sms_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING
    assert row.next_attempt_at >= before + timedelta(minutes=20)


def test_refused_by_the_provider_fails_with_the_error_shown(agent_client, sms_ticket, fake_api):
    fake_api.answer((400, {"message": "Invalid destination number"}))
    reply(agent_client, sms_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.FAILED and row.permanent_failure
    assert "Invalid destination number" in row.last_error
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert "Invalid destination number" in page
    assert reverse("channels:message-retry", args=[row.pk]) in page
    fake_api.answer((200, {"id": "prov-2"}))
    response = agent_client.post(reverse("channels:message-retry", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "prov-2"


def test_delivery_receipts_update_the_message(agent_client, sms_ticket, post_generic):
    reply(agent_client, sms_ticket)
    row = OutboundMessage.objects.get()
    assert post_generic({"id": "prov-1", "status": "delivered"}, kind="status").status_code == 200
    row.refresh_from_db()
    assert row.status == MessageStatus.DELIVERED and row.delivered_at is not None
    # A late "sent" never moves it back.
    post_generic({"id": "prov-1", "status": "sent"}, kind="status")
    row.refresh_from_db()
    assert row.status == MessageStatus.DELIVERED
    assert (
        post_generic({"id": "prov-1", "status": "read"}, kind="status", signature="").status_code
        == 401
    )


def test_opted_out_number_gets_no_sms_and_the_composer_says_so(
    agent_client, sms_ticket, post_generic, fake_api
):
    post_generic({"id": "gw-stop", "from": "+358401234567", "text": "STOPP"})
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert "STOP" in page
    response = reply(agent_client, sms_ticket)
    assert response.status_code == 400
    assert not OutboundMessage.objects.exists() and fake_api.requests == []


def test_too_long_sms_is_refused(agent_client, sms_ticket, fake_api):
    response = reply(agent_client, sms_ticket, text="x" * 1601)
    assert response.status_code == 400
    assert not OutboundMessage.objects.exists()


def test_twilio_reply_uses_the_messages_api_with_basic_auth(agent_client, post_twilio, fake_api):
    fake_api.answer((201, {"sid": "SMout1", "status": "queued"}))
    post_twilio(twilio_inbound("SMin1", "Onko kauppa auki?"))
    ticket = Ticket.objects.get()
    reply(agent_client, ticket, text="On, klo 18 asti.")
    sent = fake_api.requests[0]
    assert sent["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    import base64

    expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    assert sent["headers"]["Authorization"] == f"Basic {expected}"
    form = parse_qs(sent["body"])
    assert form["To"] == ["+358401234567"] and form["From"] == ["+358452220000"]
    assert form["Body"] == ["On, klo 18 asti."]
    row = OutboundMessage.objects.get()
    assert row.provider_message_id == "SMout1"
    status = {"MessageSid": "SMout1", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post_twilio(status, kind="status").status_code == 200
    row.refresh_from_db()
    assert row.status == MessageStatus.FAILED and "30003" in row.last_error


def test_the_customer_answer_to_our_sms_threads_by_reply_id(
    agent_client, sms_ticket, post_generic, settings
):
    """Outside the time window, a reply naming our SMS's provider id still finds the ticket."""
    settings.TISKI_MESSAGING_THREAD_HOURS = 0
    reply(agent_client, sms_ticket)
    post_generic(
        {"id": "gw-in-2", "from": "+358401234567", "text": "Kiitos!", "reply_to": "prov-1"}
    )
    assert Ticket.objects.count() == 1 and sms_ticket.messages.count() == 3


def test_a_file_on_an_sms_reply_is_refused_with_the_reason(agent_client, sms_ticket):
    """SMS carries no files: the composer says so and the reply is not written."""
    page = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    assert 'id="file-limits"' in page
    data = {
        "kind": "public",
        "text": "Katso liite",
        "last_seen_message": sms_ticket.messages.last().pk,
        "attachments": [SimpleUploadedFile("a.pdf", b"%PDF-1.4", content_type="application/pdf")],
    }
    response = agent_client.post(reverse("desk:ticket-reply", args=[sms_ticket.number]), data)
    assert response.status_code == 400
    assert "a.pdf" in response.content.decode()
    assert not sms_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_an_opt_out_is_shown_on_the_ticket_panel_and_the_contact_page(
    agent_client, sms_ticket, post_generic
):
    """ "Opted out of SMS on <date>" with the word the customer sent, beside the number."""
    post_generic({"id": "gw-stop-2", "from": "+358401234567", "text": "LOPETA"})
    today = timezone.localdate().strftime("%-d.%-m.%Y")
    panel = agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    contact = agent_client.get(
        reverse("desk:contact", args=[sms_ticket.requester_id])
    ).content.decode()
    for page in (panel, contact):
        assert "data-sms-opt-out" in page
        assert today in page and "LOPETA" in page
    post_generic({"id": "gw-start-2", "from": "+358401234567", "text": "ALOITA"})
    assert (
        "data-sms-opt-out" not in agent_client.get(sms_ticket.get_absolute_url()).content.decode()
    )


def test_a_ready_answer_sent_in_bulk_goes_by_sms(sms_ticket, make_user, team, fake_api):
    """The bulk ready answer takes the conversation's route, like the composer."""
    from tiski.macros.models import Macro
    from tiski.macros.services import apply_to_tickets

    macro = Macro.objects.create(name="Kiitos", shortcut="kiitos", text_fi="Kiitos viestistä!")
    agent = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    apply_to_tickets(macro, [sms_ticket], agent)
    message = sms_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.SMS and message.meta["macro"] == macro.pk
    row = OutboundMessage.objects.get(message=message)
    assert row.recipient == "+358401234567" and row.status == MessageStatus.SENT
