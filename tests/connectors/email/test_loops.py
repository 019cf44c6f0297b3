"""Loop protection and acknowledgements: who gets automatic mail, when, and what it says."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from tiski.calendars.hours import BusinessCalendar
from tiski.connectors import outbox
from tiski.connectors.email import compose, loops, outbound
from tiski.connectors.email.intake import accept, process_receipt
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind, OutboundStatus

HELSINKI = ZoneInfo("Europe/Helsinki")
FRIDAY_AFTERNOON = datetime(2025, 6, 13, 14, 0, tzinfo=HELSINKI)
BEFORE_JUHANNUS = datetime(2025, 6, 19, 12, 0, tzinfo=HELSINKI)  # Thursday; Friday is aatto


# --- pure rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender", "automatic"),
    [
        ({}, "maija@example.com", False),
        ({"auto-submitted": "no"}, "maija@example.com", False),
        ({"auto-submitted": "auto-replied"}, "maija@example.com", True),
        ({"auto-submitted": "auto-generated"}, "maija@example.com", True),
        ({"precedence": "bulk"}, "maija@example.com", True),
        ({"precedence": "list"}, "maija@example.com", True),
        ({"precedence": "junk"}, "maija@example.com", True),
        ({"x-autoreply": "yes"}, "maija@example.com", True),
        ({"x-autorespond": "yes"}, "maija@example.com", True),
        ({"x-auto-response-suppress": "All"}, "maija@example.com", True),
        ({"x-apple-action": "VACATION"}, "maija@example.com", True),
        ({"x-apple-action": "FORWARD"}, "maija@example.com", False),
        ({"return-path": "<>"}, "maija@example.com", True),
        ({}, "", True),
        ({}, "MAILER-DAEMON@mx.example.com", True),
        ({}, "postmaster@example.com", True),
        ({}, "noreply@kauppa.example", True),
    ],
)
def test_inbound_auto_reason(headers, sender, automatic):
    assert bool(loops.inbound_auto_reason(headers, sender)) is automatic


def test_recipient_block_reasons():
    ours = {"tuki@tiski.example"}
    assert loops.recipient_block_reason("maija@example.com", own_addresses=ours) == ""
    assert "own" in loops.recipient_block_reason("TUKI+abc@tiski.example", own_addresses=ours)
    assert "mail system" in loops.recipient_block_reason(
        "mailer-daemon@x.example", own_addresses=ours
    )
    assert "undeliverable" in loops.recipient_block_reason(
        "maija@example.com", own_addresses=ours, undeliverable_reason=""
    )
    assert "last hour" in loops.recipient_block_reason(
        "maija@example.com", own_addresses=ours, sent_last_hour=3, per_hour=3
    )
    assert loops.recipient_block_reason("", own_addresses=ours) == loops.REASON_NO_ADDRESS


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Tilaus", "Tilaus [#12]"),
        ("Re: Tilaus", "Re: Tilaus [#12]"),
        ("Re: RE: VS: Tilaus [#12]", "Re: Tilaus [#12]"),
        ("[#12] Re: Tilaus", "Re: Tilaus [#12]"),
        ("VL: Lasku", "VL: Lasku [#12]"),
        ("Re: Tilaus [#7]", "Re: Tilaus [#7] [#12]"),
        ("", "[#12]"),
    ],
)
def test_ticket_subject_has_the_reference_once(subject, expected):
    assert compose.ticket_subject(subject, 12) == expected


def test_references_are_bounded_to_the_root_and_the_recent_end():
    ids = [f"m{i}@x" for i in range(30)]
    kept = compose.bounded_references([*ids, "m3@x"])
    assert kept == ["m0@x", *ids[-10:]]
    assert compose.bounded_references(["a@x", "b@x", "a@x"]) == ["a@x", "b@x"]


def test_placeholder_renderer_is_a_lookup_not_a_template_engine():
    values = {"ticket.number": "42", "requester.first_name": ""}
    assert compose.render_placeholders(
        "Hei {{ requester.first_name }}, #{{ticket.number}}", values
    ) == ("Hei, #42")
    # Anything else stays as written: no attribute access, tags or filters.
    for template in (
        "{{ ticket.requester.password }}",
        "{% load x %}",
        "{{ ticket.number|upper }}",
        "{{ settings.SECRET_KEY }}",
    ):
        assert compose.render_placeholders(template, values) == template


# --- acknowledgements through the intake ----------------------------------------------------------


@pytest.fixture
def ack_mailbox(transactional_db):
    Mailbox.objects.create(address="myynti@tiski.example", display_name="Myynti")
    return Mailbox.objects.create(
        address="tuki@tiski.example",
        display_name="Yritys Oy",
        auto_acknowledge=True,
        outbound_method="django",
    )


def raw_mail(
    *,
    sender: str = "maija@example.com",
    name: str = "Maija Meikäläinen",
    subject: str = "Tilaus ei ole saapunut",
    body: str = "Hei, tilaukseni ei ole saapunut. Kiitos ja terveisin Maija",
    extra: str = "",
    message_id: str | None = None,
) -> bytes:
    message_id = message_id or hashlib.sha1(f"{sender}{subject}{body}{extra}".encode()).hexdigest()
    return (
        f"From: {name} <{sender}>\r\nTo: tuki@tiski.example\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}@example.com>\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def receive(mailbox, raw: bytes, **kwargs):
    receipt, _created = accept(
        source="test",
        key=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        mailbox=mailbox,
        schedule=False,
        **kwargs,
    )
    return process_receipt(receipt.pk).receipt


def test_finnish_acknowledgement_on_a_friday_afternoon(ack_mailbox):
    """Friday 14:00 + 8 business hours = Monday 14:00, said in Finnish."""
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        receipt = receive(ack_mailbox, raw_mail())
    ticket = receipt.ticket
    assert ticket.requester.language == "fi"
    row = OutboundEmail.objects.get(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert row.status == OutboundStatus.SENT and row.automatic and row.ticket_id == ticket.pk
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["maija@example.com"]
    assert (
        sent.subject
        == f"Olemme vastaanottaneet viestisi: Tilaus ei ole saapunut [#{ticket.number}]"
    )
    assert sent.body.startswith("Hei Maija,\n\nkiitos viestistäsi!")
    assert f"#{ticket.number}" in sent.body
    assert "Vastaamme viimeistään maanantaina 16.6. klo 14.00." in sent.body
    assert "Yritys Oy" in sent.body
    message = sent.message()
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == f"<{receipt.message.external_id}>"
    assert message["From"] == "Yritys Oy <tuki@tiski.example>"
    assert sent.alternatives and "maanantaina 16.6. klo 14.00" in sent.alternatives[0][0]


def test_english_acknowledgement_before_juhannus(ack_mailbox):
    """Thursday noon before Midsummer Eve: 4 h on Thursday, Friday closed, Monday noon."""
    with time_machine.travel(BEFORE_JUHANNUS, tick=False):
        receive(
            ack_mailbox,
            raw_mail(
                sender="john@example.com",
                name="John Smith",
                subject="Order missing",
                body="Hello, my order is missing. Thanks and regards, John",
            ),
        )
    sent = mail.outbox[0]
    assert sent.subject.startswith("We have received your message: Order missing [#")
    assert sent.body.startswith("Hello John,")
    assert "We will reply by Monday 23 June at 12:00." in sent.body


def test_mailbox_texts_and_hook_override_the_defaults(ack_mailbox, settings):
    ack_mailbox.ack_subject_fi = "Kuittaus {{ ticket.number }}"
    ack_mailbox.ack_body_fi = (
        "{{ requester.first_name }}: {{ expected_reply }} / {{ mailbox.display_name }} "
        "{{ ticket.subject }} {{ ticket.requester.email }}"
    )
    ack_mailbox.save()
    settings.TISKI_ACK_TARGET_HOOK = "tests.connectors.email.test_loops.always_one_hour"
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False):
        ticket = receive(ack_mailbox, raw_mail()).ticket
    sent = mail.outbox[0]
    assert sent.subject == f"Kuittaus {ticket.number} [#{ticket.number}]"
    assert sent.body.startswith(
        "Maija: tänään klo 15.00 / Yritys Oy Tilaus ei ole saapunut {{ ticket.requester.email }}"
    )


def always_one_hour(ticket):
    return outbound.AckTarget(BusinessCalendar.always_open(), timedelta(hours=1))


def test_no_acknowledgement_when_the_mailbox_does_not_send_them(ack_mailbox):
    ack_mailbox.auto_acknowledge = False
    ack_mailbox.save()
    receive(ack_mailbox, raw_mail())
    assert mail.outbox == [] and not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("extra", "sender", "reason"),
    [
        ("Precedence: bulk\r\n", "maija@example.com", "Precedence: bulk"),
        (
            "Precedence: list\r\nList-Id: <uutiset.kauppa.example>\r\n",
            "uutiset@kauppa.example",
            "bulk",
        ),
        ("X-Auto-Response-Suppress: All\r\n", "maija@example.com", "x-auto-response-suppress"),
        ("", "MAILER-DAEMON@mx.example.com", "mail system"),
        ("", "myynti@tiski.example", "our own mailboxes"),
    ],
)
def test_no_acknowledgement_to_automatic_mail_or_our_own_addresses(
    ack_mailbox, extra, sender, reason
):
    """Each case opens a ticket, but the acknowledgement is suppressed with its
    reason. (Automatic replies open no ticket at all: test_auto_replies.py.)"""
    receipt = receive(ack_mailbox, raw_mail(sender=sender, extra=extra))
    assert receipt.ticket is not None
    row = OutboundEmail.objects.get()
    assert row.status == OutboundStatus.SUPPRESSED and reason in row.last_error
    assert mail.outbox == []


def test_no_acknowledgement_for_imported_mail(ack_mailbox):
    """Imports without --live leave no trace in the outbox at all."""
    receipt = receive(ack_mailbox, raw_mail(), suppress_automatic_mail=True)
    assert receipt.ticket is not None
    assert mail.outbox == [] and not OutboundEmail.objects.exists()


def test_queue_email_refuses_automatic_mail_answering_imported_messages(ack_mailbox):
    receipt = receive(ack_mailbox, raw_mail(), suppress_automatic_mail=True)
    row = outbox.queue_email(
        ticket=receipt.ticket,
        to=["maija@example.com"],
        subject="Sääntö",
        text="Automaattinen viesti",
        kind=OutboundKind.RULE,
        automatic=True,
        in_reply_to_message=receipt.message,
    )
    assert row.status == OutboundStatus.SUPPRESSED and row.last_error == loops.REASON_IMPORTED
    assert mail.outbox == []


def test_hourly_cap_per_recipient(ack_mailbox, settings):
    """Three acknowledgements an hour to one address; the fourth waits for the next hour."""
    settings.TISKI_AUTOMATIC_MAIL_PER_HOUR = 3
    with time_machine.travel(FRIDAY_AFTERNOON, tick=False) as clock:
        for n in range(4):
            receive(ack_mailbox, raw_mail(subject=f"Asia {n}"))
            clock.shift(timedelta(minutes=5))
        receive(ack_mailbox, raw_mail(sender="toinen@example.com", subject="Muu"))
        statuses = list(OutboundEmail.objects.order_by("id").values_list("to", "status"))
        assert [s for _to, s in statuses] == ["sent", "sent", "sent", "suppressed", "sent"]
        capped = OutboundEmail.objects.get(status=OutboundStatus.SUPPRESSED)
        assert "already got 3 automatic emails" in capped.last_error
        clock.shift(timedelta(minutes=50))
        receive(ack_mailbox, raw_mail(subject="Asia 5"))
    assert OutboundEmail.objects.order_by("-id").first().status == OutboundStatus.SENT
    assert len(mail.outbox) == 5


def test_bounce_suppresses_later_automatic_mail(ack_mailbox):
    """After a permanent bounce the address gets no acknowledgement until fixed."""
    ticket = receive(ack_mailbox, raw_mail()).ticket
    first = OutboundEmail.objects.get()
    assert first.status == OutboundStatus.SENT
    bounce = (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.tiski.example\r\nTo: tuki@tiski.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn9@mx.tiski.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n'
        "550 5.1.1 Mailbox does not exist\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n"
        "\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; maija@example.com\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{first.rfc_message_id}>\r\n\r\n--B--\r\n"
    ).encode()
    receive(ack_mailbox, bounce)
    first.refresh_from_db()
    assert first.status == OutboundStatus.FAILED and "does not exist" in first.last_error
    identity = ticket.requester.identities.get()
    assert identity.undeliverable_at is not None

    receive(ack_mailbox, raw_mail(subject="Uusi asia"))
    newest = OutboundEmail.objects.order_by("-id").first()
    assert newest.status == OutboundStatus.SUPPRESSED and "undeliverable" in newest.last_error
    assert len(mail.outbox) == 1


def test_rule_mail_after_an_out_of_office_reply_is_suppressed(ack_mailbox):
    """Without in_reply_to_message the ticket's latest customer message decides."""
    ack_mailbox.auto_acknowledge = False
    ack_mailbox.save()
    ticket = receive(ack_mailbox, raw_mail()).ticket
    receive(
        ack_mailbox,
        raw_mail(
            subject=f"Automaattinen vastaus: Re: Tilaus [#{ticket.number}]",
            body="Olen lomalla.",
            extra="Auto-Submitted: auto-replied\r\n",
        ),
    )
    row = outbox.queue_email(
        ticket=ticket,
        to=["maija@example.com"],
        subject="Muistutus",
        text="Odotamme vastaustasi.",
        kind=OutboundKind.RULE,
        automatic=True,
    )
    assert row.status == OutboundStatus.SUPPRESSED and "Auto-Submitted" in row.last_error
    assert mail.outbox == []
