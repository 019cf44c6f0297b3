"""Replies on a Telegram chat go out by sendMessage through the outbox, to a Bot API on loopback."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from tiski.connectors.messaging import outbox
from tiski.connectors.models import MessageStatus, OutboundEmail, OutboundMessage
from tiski.tickets.models import Channel, MessageKind, Ticket

from ..replies import reply
from .conftest import TOKEN, text_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tg_ticket(post_update):
    assert post_update(text_update(800001, 21, "Missä pakettini on?")).status_code == 200
    return Ticket.objects.get()


def test_the_composer_says_the_reply_goes_to_the_telegram_chat(agent_client, tg_ticket):
    page = agent_client.get(tg_ticket.get_absolute_url()).content.decode()
    assert "@ainok" in page and "Tiski-botti" in page
    assert 'data-max-length="4096"' in page


def test_reply_goes_out_by_send_message(agent_client, tg_ticket, fake_api):
    response = reply(agent_client, tg_ticket)
    assert response.status_code == 302, response.content
    message = tg_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.TELEGRAM
    assert not OutboundEmail.objects.exists()
    row = OutboundMessage.objects.get(message=message)
    assert row.status == MessageStatus.SENT and row.provider_message_id == "5550001:900"
    sent = fake_api.requests[-1]
    assert sent["path"] == f"/bot{TOKEN}/sendMessage"
    assert json.loads(sent["body"]) == {"chat_id": "5550001", "text": "Tilaus lähti tänään."}


def test_a_customer_reply_to_our_message_threads_by_it(agent_client, tg_ticket, post_update):
    reply(agent_client, tg_ticket)
    tg_ticket.refresh_from_db()
    tg_ticket.status = "solved"
    tg_ticket.save()
    Ticket.objects.filter(pk=tg_ticket.pk).update(status="open")
    answer = text_update(800002, 22, "Kiitos!", reply_to_message={"message_id": 900})
    post_update(answer)
    assert Ticket.objects.count() == 1
    assert tg_ticket.messages.filter(kind=MessageKind.CUSTOMER).count() == 2


def test_bot_api_down_the_reply_waits_and_is_sent_later(agent_client, tg_ticket, fake_api):
    fake_api.answer(
        (503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}),
        (200, {"ok": True, "result": {"message_id": 901}}),
    )
    reply(agent_client, tg_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING and "503" in row.last_error
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        outbox.send_message(row.pk)
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "5550001:901"
    assert len([r for r in fake_api.requests if r["path"].endswith("/sendMessage")]) == 2


def test_a_refused_reply_fails_for_good_and_the_ticket_shows_why(agent_client, tg_ticket, fake_api):
    fake_api.answer(
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    )
    reply(agent_client, tg_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.FAILED and row.permanent_failure
    assert "chat not found" in row.last_error
    page = agent_client.get(tg_ticket.get_absolute_url()).content.decode()
    assert "chat not found" in page
