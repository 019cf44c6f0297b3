"""Inbound SMS through the real webhook URLs, into tickets."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.connectors.sms.inbound import deliver_incomplete
from tiski.connectors.sms.models import SmsOptOut
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Identity
from tiski.tickets import actions
from tiski.tickets.models import Channel, Message, MessageKind, Status, Ticket, Via

from .conftest import twilio_inbound

pytestmark = pytest.mark.django_db(transaction=True)


def generic(msg_id: str, text: str, sender: str = "+358401234567", **extra) -> dict:
    return {
        "id": msg_id,
        "from": sender,
        "to": "+358451110000",
        "text": text,
        "sent_at": "2026-12-01T09:30:00+02:00",
        **extra,
    }


def test_generic_sms_opens_a_ticket(post_generic, generic_account, team):
    response = post_generic(generic("gw-1", "Hei, paketti ei ole tullut. Tilaus 5521"))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.SMS and ticket.team == team
    assert ticket.subject == "Hei, paketti ei ole tullut. Tilaus 5521"
    message = ticket.messages.get()
    assert message.kind == MessageKind.CUSTOMER and message.channel == Channel.SMS
    assert message.external_id == "gw-1"
    assert message.meta["account"] == generic_account.pk
    assert ticket.requester.identities.get().value == "+358401234567"
    receipt = InboundReceipt.objects.get()
    assert receipt.channel == "sms" and receipt.status == ReceiptStatus.PROCESSED
    assert receipt.message == message
    with receipt.raw.open("rb") as raw:
        assert b'"gw-1"' in raw.read()  # the raw payload is kept


def test_twilio_sms_opens_a_ticket(post_twilio):
    response = post_twilio(
        twilio_inbound("SM5f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c", "Voinko vaihtaa kokoa?")
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    message = Message.objects.get()
    assert message.text == "Voinko vaihtaa kokoa?"
    assert message.external_id == "SM5f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c"


def test_unsigned_webhooks_get_401_and_write_nothing(post_generic, post_twilio):
    assert post_generic(generic("gw-1", "Hei"), signature="").status_code == 401
    assert post_twilio(twilio_inbound("SM1", "Hei"), signed=False).status_code == 401
    assert not InboundReceipt.objects.exists() and not Ticket.objects.exists()


def test_badly_signed_webhooks_get_403_and_write_nothing(post_generic, post_twilio):
    assert post_generic(generic("gw-1", "Hei"), signature="sha256=00ff").status_code == 403
    assert post_twilio(twilio_inbound("SM1", "Hei"), token="someone-else").status_code == 403
    assert not InboundReceipt.objects.exists() and not Ticket.objects.exists()


def test_a_signature_over_another_body_is_refused(post_generic):
    """The signature covers the body: a replayed signature on changed text is refused."""
    from tiski.connectors.sms import providers

    from .conftest import GENERIC_SECRET

    original = b'{"id": "gw-1", "from": "+358401234567", "text": "Hei"}'
    signature = providers.generic_signature(GENERIC_SECRET, original)
    forged = original.replace(b"Hei", b"Maksa tilille FI00")
    assert post_generic(None, raw=forged, signature=signature).status_code == 403


def test_malformed_payload_is_400_and_quarantined(post_generic):
    response = post_generic(None, raw=b'{"hello": "world"}')
    assert response.status_code == 400
    receipt = InboundReceipt.objects.get()
    assert receipt.status == ReceiptStatus.QUARANTINED and "Malformed" in receipt.reason
    assert receipt.channel == "sms"
    assert not Ticket.objects.exists()
    assert post_generic(None, raw=b"not json").status_code == 400
    assert InboundReceipt.objects.filter(status=ReceiptStatus.QUARANTINED).count() == 2


def test_same_webhook_twice_is_one_message(post_generic, post_twilio):
    payload = generic("gw-7", "Kiitos!")
    assert post_generic(payload).status_code == 200
    assert post_generic(payload).status_code == 200
    form = twilio_inbound("SMdup", "Tuplana")
    assert post_twilio(form).status_code == 200
    assert post_twilio(form).status_code == 200
    assert Message.objects.count() == 2 and InboundReceipt.objects.count() == 2


def test_long_sms_parts_are_joined_in_order(post_generic):
    """Parts arrive out of order; one message with the whole text, once all are in."""
    parts = ["Hei, tilasin viime viikolla ", "kaksi paitaa mutta sain vain ", "yhden. Mitä teen?"]
    post_generic(generic("gw-p3", parts[2], part=3, total=3, ref="r42"))
    post_generic(generic("gw-p1", parts[0], part=1, total=3, ref="r42"))
    assert not Message.objects.exists()
    post_generic(generic("gw-p1", parts[0], part=1, total=3, ref="r42"))  # a retry
    post_generic(generic("gw-p2", parts[1], part=2, total=3, ref="r42"))
    message = Message.objects.get()
    assert message.text == "".join(parts)
    assert set(InboundReceipt.objects.values_list("message", flat=True)) == {message.pk}


def test_a_long_sms_missing_a_part_is_delivered_with_what_came_after_the_timeout(
    post_generic, settings
):
    """Part 2 of 3 never comes: after TISKI_SMS_PART_TIMEOUT_SECONDS the periodic
    sweep delivers parts 1 and 3 with "[part missing]" between, and says so in
    the meta; part 2 arriving later still is delivered on its own, same ticket."""
    settings.TISKI_SMS_PART_TIMEOUT_SECONDS = 600
    post_generic(generic("gw-m1", "Paketti ei ", part=1, total=3, ref="r77"))
    post_generic(generic("gw-m3", "tullut perille.", part=3, total=3, ref="r77"))
    first = InboundReceipt.objects.order_by("received_at").first().received_at

    assert deliver_incomplete(now=first + timedelta(seconds=599)) == 0
    assert not Message.objects.exists()
    assert deliver_incomplete(now=first + timedelta(seconds=601)) == 1
    assert deliver_incomplete(now=first + timedelta(seconds=700)) == 0  # once

    message = Message.objects.get()
    # Written in the desk's language (Finnish by default), whatever the request ran in.
    assert message.text == "Paketti ei  [osa puuttuu] tullut perille."
    assert message.meta["sms_parts_missing"] == [2] and message.meta["sms_parts_total"] == 3
    assert set(InboundReceipt.objects.values_list("message", flat=True)) == {message.pk}

    post_generic(generic("gw-m2", "vieläkään ", part=2, total=3, ref="r77"))
    late = Message.objects.exclude(pk=message.pk).get()
    assert late.text == "vieläkään" and late.meta["sms_late_part"] == 2
    assert late.ticket_id == message.ticket_id


def test_the_incomplete_sms_sweep_is_scheduled(settings):
    from tiski.celery import app

    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "tiski.sms.deliver_incomplete"
    )
    assert entry["task"] in app.tasks


def test_stop_opts_out_and_start_subscribes_again(post_generic):
    post_generic(generic("gw-s1", "LOPETA"))
    assert SmsOptOut.objects.filter(number="+358401234567").exists()
    assert not Message.objects.exists()
    post_generic(generic("gw-s2", "start"))
    assert not SmsOptOut.objects.exists()
    post_generic(generic("gw-s3", "Stop.", sender="+358409999999"))
    assert SmsOptOut.objects.get().number == "+358409999999"


def test_sms_from_a_number_that_called_yesterday_joins_that_contact(post_generic):
    """The caller was saved with the number typed as on the phone; the SMS comes in E.164."""
    caller, _ = get_or_create_contact("phone", "040 123 4567", name="Pekka Puhelin")
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        actions.create_ticket(
            requester=caller, subject="Puhelu", actor=None, via=Via.CHANNEL,
            channel=Channel.PHONE, text="Soitti tilauksesta",
        )  # fmt: skip
    post_generic(generic("gw-c1", "Soitin eilen, tässä vielä tilausnumero 7781"))
    sms_ticket = Ticket.objects.get(channel=Channel.SMS)
    assert sms_ticket.requester == caller
    assert Identity.objects.filter(value="+358401234567").count() == 1


def test_threads_onto_the_open_sms_ticket_within_the_window(post_generic, settings):
    settings.TISKI_MESSAGING_THREAD_HOURS = 24
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post_generic(generic("gw-t1", "Ensimmäinen viesti"))
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        post_generic(generic("gw-t2", "Toinen viesti"))
    assert Ticket.objects.count() == 1 and Message.objects.count() == 2
    with time_machine.travel(start + timedelta(hours=40), tick=False):
        post_generic(generic("gw-t3", "Uusi asia"))
    assert Ticket.objects.count() == 2


def test_a_solved_ticket_is_not_continued(post_generic):
    post_generic(generic("gw-a", "Kysymys"))
    ticket = Ticket.objects.get()
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, status=Status.SOLVED)
    post_generic(generic("gw-b", "Uusi kysymys"))
    assert Ticket.objects.count() == 2


def test_reply_id_threads_first(post_generic):
    """A message naming the provider id it answers joins that ticket even from another number."""
    post_generic(generic("gw-r1", "Alkuperäinen"))
    first = Ticket.objects.get()
    post_generic(generic("gw-r2", "Vastaus siihen", sender="+358405555555", reply_to="gw-r1"))
    assert Ticket.objects.count() == 1 and first.messages.count() == 2
