"""Replies by Messenger and Instagram through the outbox: the Send API, failures,
delivery and read events, echoes of our own replies, and Meta's window."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tiski.connectors.messaging import outbox
from tiski.connectors.meta import window
from tiski.connectors.models import MessageStatus, OutboundMessage
from tiski.tickets.models import Channel, MessageKind, Ticket

from ..replies import reply
from .conftest import (
    ACCESS_TOKEN,
    CUSTOMER,
    IG_CUSTOMER,
    PAGE_ID,
    echo_hook,
    event,
    hook,
    ig_text_hook,
    text_hook,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fb_ticket(post_hook):
    assert post_hook(text_hook("m_IN1", "Missä tilaukseni on?")).status_code == 200
    return Ticket.objects.get()


def sent_bodies(graph) -> list[dict]:
    return [json.loads(r["body"]) for r in graph.requests if r["path"].endswith("/messages")]


def test_reply_goes_out_through_the_send_api(agent_client, fb_ticket, graph):
    page = agent_client.get(fb_ticket.get_absolute_url()).content.decode()
    assert "Aino Korhonen" in page and "Papumylly" in page and 'data-max-length="2000"' in page
    assert "channel-notice" not in page
    assert reply(agent_client, fb_ticket).status_code == 302
    message = fb_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert message.channel == Channel.MESSENGER
    row = OutboundMessage.objects.get(message=message)
    assert row.status == MessageStatus.SENT and row.provider_message_id == "m_OUT1"
    sent = next(r for r in graph.requests if r["path"].endswith("/messages"))
    assert sent["path"] == f"/v21.0/{PAGE_ID}/messages"
    assert sent["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert json.loads(sent["body"]) == {
        "recipient": {"id": CUSTOMER},
        "messaging_type": "RESPONSE",
        "message": {"text": "Tilaus lähti tänään."},
    }


def test_the_echo_of_our_own_reply_is_not_shown_twice(agent_client, fb_ticket, post_hook):
    reply(agent_client, fb_ticket)
    post_hook(echo_hook("m_OUT1", "Tilaus lähti tänään.", app_id=1234))
    assert fb_ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1


def test_delivery_and_read_events_move_the_row(agent_client, fb_ticket, post_hook):
    reply(agent_client, fb_ticket)
    row = OutboundMessage.objects.get()
    post_hook(hook(event({"delivery": {"mids": ["m_OUT1"], "watermark": 1}})))
    row.refresh_from_db()
    assert row.status == MessageStatus.DELIVERED and row.delivered_at
    # Messenger's read event names no message: everything sent before the watermark.
    later = int((timezone.now() + timedelta(seconds=5)).timestamp() * 1000)
    post_hook(hook(event({"read": {"watermark": later}})))
    row.refresh_from_db()
    assert row.status == MessageStatus.READ and row.read_at
    page = agent_client.get(fb_ticket.get_absolute_url()).content.decode()
    assert "Messenger: read" in page or "Messenger: luettu" in page


def test_meta_down_retries_and_a_400_fails_for_good(agent_client, fb_ticket, graph):
    graph.answer((503, {"error": {"message": "Service temporarily unavailable", "code": 2}}),
                 (200, {"recipient_id": CUSTOMER, "message_id": "m_OUT2"}))  # fmt: skip
    reply(agent_client, fb_ticket)
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.RETRYING and "503" in row.last_error
    with time_machine.travel(row.next_attempt_at + timedelta(seconds=1)):
        outbox.send_message(row.pk)
    row.refresh_from_db()
    assert row.status == MessageStatus.SENT and row.provider_message_id == "m_OUT2"
    graph.answer((400, {"error": {"message": "(#100) No matching user found", "code": 100,
                                  "error_subcode": 2018001}}))  # fmt: skip
    reply(agent_client, fb_ticket, "Toinen viesti")
    failed = OutboundMessage.objects.exclude(pk=row.pk).get()
    assert failed.status == MessageStatus.FAILED and "No matching user found" in failed.last_error
    page = agent_client.get(fb_ticket.get_absolute_url()).content.decode()
    assert "No matching user found" in page


def test_throttling_in_a_400_is_temporary(agent_client, fb_ticket, graph):
    graph.answer((400, {"error": {"message": "Calls to this api have exceeded the rate limit.",
                                  "code": 613}}))  # fmt: skip
    reply(agent_client, fb_ticket)
    assert OutboundMessage.objects.get().status == MessageStatus.RETRYING


def test_after_24_hours_the_reply_goes_with_the_human_agent_tag(agent_client, fb_ticket, graph):
    with time_machine.travel(timezone.now() + timedelta(hours=30)):
        page = agent_client.get(fb_ticket.get_absolute_url()).content.decode()
        assert 'id="channel-notice"' in page
        assert reply(agent_client, fb_ticket).status_code == 302
    body = sent_bodies(graph)[-1]
    assert body["messaging_type"] == "MESSAGE_TAG" and body["tag"] == "HUMAN_AGENT"
    assert OutboundMessage.objects.get().status == MessageStatus.SENT


def test_after_7_days_no_reply_on_the_channel(agent_client, fb_ticket, graph):
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = agent_client.get(fb_ticket.get_absolute_url()).content.decode()
        assert 'id="unreachable-warning"' in page
        assert reply(agent_client, fb_ticket).status_code == 400
    assert not fb_ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert not sent_bodies(graph)


def test_a_rule_reply_after_7_days_fails_without_calling_meta(fb_ticket, graph, page):
    from tiski.tickets import actions
    from tiski.tickets.models import Via

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        with actions.unit_of_work():
            actions.add_message(
                fb_ticket, kind=MessageKind.PUBLIC, actor=None, via=Via.RULE,
                text="Muistutus", channel=Channel.MESSENGER,
                meta={"account": page.pk, "to": CUSTOMER},
            )  # fmt: skip
    row = OutboundMessage.objects.get()
    assert row.status == MessageStatus.FAILED and "7 days" in row.last_error
    assert not sent_bodies(graph)


def test_window_states():
    now = timezone.now()
    assert window.state_after(None, now) == window.State.CLOSED
    assert window.state_after(now - timedelta(hours=23), now) == window.State.OPEN
    assert window.state_after(now - timedelta(hours=25), now) == window.State.HUMAN_AGENT
    assert window.state_after(now - timedelta(days=7, seconds=1), now) == window.State.CLOSED


def test_instagram_reply_goes_from_the_instagram_account(post_to, instagram, agent_client, graph):
    post_to(instagram, ig_text_hook("aWdfIN1", "Onko tätä kokoa 42?"))
    ticket = Ticket.objects.get()
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert "Instagram" in page and "@papumylly" in page and 'data-max-length="1000"' in page
    assert reply(agent_client, ticket, "On, kokoa 42 on varastossa.").status_code == 302
    assert ticket.messages.get(kind=MessageKind.PUBLIC).channel == Channel.INSTAGRAM
    sent = next(r for r in graph.requests if r["path"].endswith("/messages"))
    # Sent by the page linked to the account, which the page token names "me".
    assert sent["path"] == "/v21.0/me/messages"
    assert json.loads(sent["body"])["recipient"] == {"id": IG_CUSTOMER}


def test_an_echo_that_overtakes_the_send_apis_answer_is_still_ours(fb_ticket, post_hook, page):
    """Meta may post the echo before our Send API call has returned the mid."""
    from tiski.tickets import actions
    from tiski.tickets.models import Via

    with actions.unit_of_work():
        message = actions.add_message(
            fb_ticket, kind=MessageKind.PUBLIC, actor=None, via=Via.SYSTEM,
            text="Tilaus lähti tänään.", channel=Channel.MESSENGER,
        )  # fmt: skip
    OutboundMessage.objects.create(
        channel=Channel.MESSENGER, account_id=page.pk, ticket=fb_ticket, message=message,
        recipient=CUSTOMER, body="Tilaus lähti tänään.", status=MessageStatus.SENDING,
    )  # fmt: skip
    post_hook(echo_hook("m_NOT_YET_KNOWN", "Tilaus lähti tänään."))
    assert fb_ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1
    # Another text to the customer from Meta's inbox is shown.
    post_hook(echo_hook("m_OTHER", "Lisäksi: seurantakoodi tulee sähköpostiin."))
    assert fb_ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 2
