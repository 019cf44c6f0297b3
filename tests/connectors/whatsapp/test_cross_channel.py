"""An email on Monday, a call on Tuesday, a WhatsApp on Wednesday: one person, one timeline.

Each arrives through its channel's own way in (the email intake, the phone
webhook, the WhatsApp webhook). The agent adds the number from Monday's
email signature to the contact; from then on the call and the WhatsApp
message find her by that number.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from tiski.connectors.email.intake import accept, process_receipt
from tiski.connectors.phone.models import PhoneLine
from tiski.customers.actions import add_identity
from tiski.customers.models import Contact, IdentityKind
from tiski.tickets.models import Channel, Ticket

from ...conftest import PASSWORD
from .conftest import text_hook

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

MAIL = (
    "From: Aino Korhonen <aino.korhonen@example.com>\nTo: tuki@tiski.example\n"
    "Subject: Lasku 2291 väärin\nMessage-ID: <lasku-2291@example.com>\n"
    "Date: Mon, 30 Nov 2026 10:00:00 +0200\nContent-Type: text/plain; charset=utf-8\n\n"
    "Hei, laskussa 2291 on väärä summa.\n\nAino Korhonen\npuh. 040 123 4567\n"
).encode()


def test_email_call_and_whatsapp_end_up_on_one_contact(client, mailbox, post_hook, make_user, team):
    with time_machine.travel(MONDAY):
        receipt, _ = accept(
            source="test", key=hashlib.sha256(MAIL).hexdigest(), raw=MAIL, mailbox=mailbox,
            schedule=False,
        )  # fmt: skip
        process_receipt(receipt.pk)
        aino = Contact.objects.get(identities__value="aino.korhonen@example.com")
        # The agent copies the number from the signature onto her contact.
        add_identity(aino, IdentityKind.PHONE, "+358401234567")
    line = PhoneLine.objects.create(number="09 4241 0000", name="Asiakaspalvelu", team=team)
    with time_machine.travel(TUESDAY):
        for event in (
            {"call_id": "c-77", "event": "ringing", "timestamp": "2026-12-01T08:00:00Z",
             "from": "040 123 4567", "to": "+358942410000"},
            {"call_id": "c-77", "event": "ended", "timestamp": "2026-12-01T08:01:00Z",
             "cause": "abandoned"},
        ):  # fmt: skip
            response = client.post(
                "/phone/events/",
                data=json.dumps(event),
                content_type="application/json",
                headers={"Authorization": f"Bearer {line.token}"},
            )
            assert response.status_code < 300, response.content
    with time_machine.travel(WEDNESDAY):
        assert post_hook(text_hook("wamid.WED1", "Soitin eilen laskusta 2291")).status_code == 200

    assert Contact.objects.filter(identities__value__in=["+358401234567"]).count() == 1
    tickets = Ticket.objects.filter(requester=aino).order_by("created_at")
    assert [t.channel for t in tickets] == [Channel.EMAIL, Channel.PHONE, Channel.WHATSAPP]
    assert Ticket.objects.exclude(requester=aino).count() == 0

    agent = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    client.login(username=agent.email, password=PASSWORD)
    page = client.get(reverse("desk:contact", args=[aino.pk])).content.decode()
    assert "Lasku 2291 väärin" in page and "Soitin eilen laskusta 2291" in page
    assert all(f"/tickets/{t.number}/" in page for t in tickets)
