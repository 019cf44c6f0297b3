"""Intake: durable receipts, idempotent processing, threading, quarantine, bounces."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tiski.connectors.email import intake
from tiski.connectors.email.intake import Outcome, accept, process_receipt, sweep_pending
from tiski.connectors.email.threading import make_reply_token
from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Identity
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Status, Ticket, Via

from .conftest import fixture_bytes


def receive(mailbox, raw: bytes, source: str = "test"):
    receipt, _created = accept(
        source=source, key=hashlib.sha256(raw).hexdigest(), raw=raw, mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk)


def mail(
    sender="asiakas@example.com",
    subject="Kysymys",
    body="Hei, kysymys tilauksesta.",
    message_id="m1@example.com",
    extra="",
):
    return (
        f"From: Asiakas <{sender}>\nTo: tuki@tiski.example\nSubject: {subject}\n"
        f"Message-ID: <{message_id}>\nDate: Mon, 2 Jun 2025 10:00:00 +0300\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def test_accept_is_idempotent_and_processing_is_scheduled_on_commit(
    mailbox, django_capture_on_commit_callbacks
):
    raw = mail()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        receipt, created = accept(source="test", key="k1", raw=raw, mailbox=mailbox)
    assert created and callbacks
    again, created_again = accept(source="test", key="k1", raw=raw, mailbox=mailbox)
    assert not created_again and again.pk == receipt.pk
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.PROCESSED
    with receipt.raw.open("rb") as handle:
        assert handle.read() == raw
    assert InboundReceipt.objects.count() == 1 and Ticket.objects.count() == 1
    # Processing again is a no-op.
    assert process_receipt(receipt.pk).outcome == Outcome.UNCHANGED
    assert Message.objects.count() == 1


def test_new_mail_opens_ticket_with_mailbox_defaults(mailbox, make_team):
    from tiski.tickets.models import TicketType

    mailbox.default_team = make_team("Tuki")
    mailbox.default_type = TicketType.objects.first()
    mailbox.save()
    result = receive(mailbox, fixture_bytes("outlook_fi_reply.eml"))
    assert result.outcome == Outcome.CREATED
    ticket = result.receipt.ticket
    assert ticket.team == mailbox.default_team and ticket.type == mailbox.default_type
    assert ticket.channel == "email" and ticket.subject.startswith("VS: Tilauksen")
    message = result.receipt.message
    assert message.external_id == "AM0PR07MB1234ABCD@AM0PR07MB1234.eurprd07.prod.outlook.com"
    assert message.meta["threading"]["reason"] == "new"
    assert message.text[: message.meta["fold_text_at"]].rstrip().endswith("Minna Virtanen")
    assert 'class="tiski-folded"' in message.html
    assert ticket.requester.emails == ["minna.virtanen@asiakas.fi"]
    assert ticket.requester.name == "Virtanen, Minna"


def test_reply_threads_by_in_reply_to_and_reopens_solved(mailbox):
    first = receive(mailbox, mail(message_id="orig@example.com")).receipt.ticket
    actions.update_ticket(first, actor=None, via=Via.SYSTEM, status=Status.SOLVED)
    reply = mail(
        message_id="reply@example.com",
        subject="Re: Kysymys",
        extra="In-Reply-To: <orig@example.com>\nCc: Pomo <pomo@example.com>\n",
    )
    result = receive(mailbox, reply)
    assert result.outcome == Outcome.THREADED and result.receipt.ticket == first
    message = result.receipt.message
    assert message.meta["threading"] == {"reason": "in_reply_to", "matched": "orig@example.com"}
    assert message.meta["cc"] == ["pomo@example.com"]
    first.refresh_from_db()
    assert first.status == Status.OPEN


def test_reply_token_threads(mailbox, make_ticket):
    ticket = make_ticket()
    raw = mail(message_id="tok@example.com").replace(
        b"To: tuki@tiski.example", f"To: tuki+{make_reply_token(ticket)}@tiski.example".encode()
    )
    result = receive(mailbox, raw)
    assert result.receipt.ticket == ticket
    assert result.receipt.message.meta["threading"]["reason"] == "token"


def test_reply_to_closed_ticket_opens_follow_up(mailbox):
    first = receive(mailbox, mail(message_id="c1@example.com")).receipt.ticket
    actions.update_ticket(first, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    result = receive(
        mailbox, mail(message_id="c2@example.com", extra="In-Reply-To: <c1@example.com>\n")
    )
    assert result.outcome == Outcome.CREATED and result.receipt.ticket != first
    assert result.receipt.message.meta["follow_up_of"] == first.number


def test_same_message_in_two_mailboxes_is_one_ticket(mailbox):
    from tiski.connectors.models import Mailbox

    other = Mailbox.objects.create(address="myynti@tiski.example")
    raw = mail(message_id="both@example.com")
    assert receive(mailbox, raw, source="imap:tuki").outcome == Outcome.CREATED
    result = receive(other, raw, source="imap:myynti")
    assert result.outcome == Outcome.DUPLICATE
    assert result.receipt.status == ReceiptStatus.DUPLICATE
    assert Ticket.objects.count() == 1


def test_unparsable_and_oversized_are_quarantined_whole(mailbox):
    bad = receive(mailbox, b"\x00\x01 garbage")
    assert bad.outcome == Outcome.QUARANTINED and "Unparsable" in bad.receipt.reason
    with bad.receipt.raw.open("rb") as handle:
        assert handle.read() == b"\x00\x01 garbage"
    mailbox.max_message_bytes = 100
    mailbox.save()
    big = receive(mailbox, mail(body="x" * (2 * 1024 * 1024)))
    assert big.receipt.status == ReceiptStatus.QUARANTINED and "limit" in big.receipt.reason
    assert Ticket.objects.count() == 0


def test_unexpected_error_quarantines_with_last_traceback_line(mailbox, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("threading exploded")

    monkeypatch.setattr(intake, "find_candidates", boom)
    result = receive(mailbox, mail())
    assert result.outcome == Outcome.QUARANTINED
    assert result.receipt.reason == "RuntimeError: threading exploded"
    assert Ticket.objects.count() == 0
    monkeypatch.undo()
    # The admin's re-process picks it up again once the cause is gone.
    again = process_receipt(result.receipt.pk, force=True)
    assert again.outcome == Outcome.CREATED and again.receipt.attempts == 2


def test_bounce_is_a_system_message_and_never_a_ticket(mailbox, make_ticket):
    ticket = make_ticket()
    actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=None,
        via=Via.SYSTEM,
        text="Vastaus",
        external_id="tiski.1042.reply2@tiski.example",
    )
    result = receive(mailbox, fixture_bytes("bounce_dsn.eml"))
    assert result.outcome == Outcome.BOUNCE_ATTACHED
    note = result.receipt.message
    assert note.kind == MessageKind.SYSTEM and note.ticket == ticket
    assert note.meta["bounce"]["recipients"] == ["nobody@asiakas.fi"]
    assert Ticket.objects.count() == 1


def test_bounce_without_ticket(mailbox):
    result = receive(mailbox, fixture_bytes("bounce_dsn.eml"))
    assert result.outcome == Outcome.BOUNCE_UNMATCHED
    assert result.receipt.status == ReceiptStatus.PROCESSED
    assert result.receipt.reason == "bounce without ticket"
    assert Ticket.objects.count() == 0


def _sent_reply(make_ticket, message_id: str, to: str):
    """A public reply of ours with this Message-ID, addressed to ``to``."""
    ticket = make_ticket(requester=get_or_create_contact("email", to)[0])
    actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=None,
        via=Via.SYSTEM,
        text="Vastaus",
        external_id=message_id,
    )
    return ticket


def _undeliverable(address: str) -> bool:
    return Identity.objects.get(kind="email", value=address).undeliverable_at is not None


@pytest.mark.parametrize(
    ("fixture", "message_id", "address", "note_start", "kind", "dead"),
    [
        (
            "reports/ses_bounce_sns.eml",
            "tiski.1042.reply2@tiski.example",
            "nobody@asiakas.fi",
            "Delivery failed: nobody@asiakas.fi",
            "bounce",
            True,
        ),
        (
            "reports/dsn_delayed.eml",
            "tiski.1042.reply4@tiski.example",
            "pekka@asiakas.fi",
            "Delivery delayed, still being retried: pekka@asiakas.fi",
            "delay",
            False,
        ),
        (
            "reports/arf_complaint.eml",
            "tiski.1042.reply3@tiski.example",
            "liisa.laine@yritys.fi",
            "Reported as spam by liisa.laine@yritys.fi",
            "complaint",
            False,
        ),
    ],
)
def test_reports_are_noted_by_kind_and_only_failures_kill_an_address(
    mailbox, make_ticket, fixture, message_id, address, note_start, kind, dead
):
    """A permanent bounce marks the address undeliverable; a delay or a spam
    complaint is noted on the ticket and leaves the address working."""
    ticket = _sent_reply(make_ticket, message_id, address)
    result = receive(mailbox, fixture_bytes(fixture))
    assert result.outcome == Outcome.BOUNCE_ATTACHED
    note = result.receipt.message
    assert note.ticket == ticket and note.kind == MessageKind.SYSTEM
    assert note.text.startswith(note_start)
    assert note.meta["bounce"]["kind"] == kind
    assert note.meta["bounce"]["recipients"] == [address]
    assert _undeliverable(address) is dead
    assert Ticket.objects.count() == 1


def test_delivery_receipt_adds_nothing_to_the_ticket(mailbox, make_ticket):
    """A "delivered" receipt (SES Delivery, DSN relayed) is kept on the receipt only."""
    ticket = _sent_reply(make_ticket, "tiski.1042.reply5@tiski.example", "maija@asiakas.fi")
    raw = (
        fixture_bytes("reports/ses_bounce_sns.eml")
        .replace(b'"notificationType":"Bounce"', b'"notificationType":"Delivery"')
        .replace(b"tiski.1042.reply2", b"tiski.1042.reply5")
    )
    result = receive(mailbox, raw)
    assert result.outcome == Outcome.BOUNCE_UNMATCHED
    assert result.receipt.reason == "delivery receipt"
    assert ticket.messages.count() == 2  # the first message and our reply, no note


def test_html_scripts_stored_safely(mailbox):
    message = receive(mailbox, fixture_bytes("html_scripts.eml")).receipt.message
    stored = message.html.lower()
    assert "<script" not in stored and "javascript:" not in stored
    assert " on" not in stored.replace("noopener", "")  # no on* attribute anywhere
    assert message.meta["auto_submitted"] is False


def test_inline_image_and_attachments_are_stored(mailbox):
    message = receive(mailbox, fixture_bytes("thunderbird_en_reply.eml")).receipt.message
    (image,) = message.attachments.all()
    assert image.inline and image.content_id == "part1.hinge@builder.example"
    assert image.filename == "hinge.png" and image.size == 70


def test_crash_before_processing_then_sweep_processes_once(
    mailbox, django_capture_on_commit_callbacks
):
    """accept() committed, then the process died before the task ran: the sweeper recovers."""
    with django_capture_on_commit_callbacks(execute=False):  # the queued work is lost
        receipt, _ = accept(source="imap", key="INBOX:1:42", raw=mail(), mailbox=mailbox)
    assert InboundReceipt.objects.get(pk=receipt.pk).status == ReceiptStatus.PENDING
    assert sweep_pending(timedelta(minutes=5)) == 0  # too fresh to be stuck
    InboundReceipt.objects.filter(pk=receipt.pk).update(
        received_at=receipt.received_at - timedelta(hours=1)
    )
    assert sweep_pending(timedelta(minutes=5)) == 1
    assert sweep_pending(timedelta(minutes=5)) == 0
    receipt.refresh_from_db()
    assert receipt.status == ReceiptStatus.PROCESSED and receipt.attempts == 1
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1


def test_automatic_mail_is_flagged(mailbox):
    """Newsletter mail still opens a ticket (a support address may be run
    through a list), flagged so nothing automatic answers it."""
    message = receive(mailbox, fixture_bytes("newsletter.eml")).receipt.message
    assert message.kind == MessageKind.CUSTOMER
    assert message.meta["auto_submitted"] is True


def test_out_of_office_without_a_ticket_is_kept_for_admins(mailbox):
    result = receive(mailbox, fixture_bytes("out_of_office.eml"))
    assert result.outcome == Outcome.AUTO_REPLY_UNMATCHED
    assert result.receipt.message is None and not Ticket.objects.exists()


def test_copied_people_become_ticket_ccs(mailbox):
    from tiski.connectors.email.intake import accept, process_receipt

    raw = (
        b"From: Liisa Lahtinen <liisa@asiakas.fi>\r\n"
        b"To: tuki@tiski.example, Pekka Esimies <pekka@asiakas.fi>\r\n"
        b"Cc: kirjanpito@asiakas.fi, tuki+abc@tiski.example\r\n"
        b"Subject: Lasku\r\nMessage-ID: <cc-test@asiakas.fi>\r\n\r\nHei, laskusta.\r\n"
    )
    receipt, _created = accept(source="test", key="cc", raw=raw, mailbox=mailbox, schedule=False)
    ticket = process_receipt(receipt.pk).receipt.ticket
    copied = sorted(c.emails[0] for c in ticket.ccs.all())
    assert copied == ["kirjanpito@asiakas.fi", "pekka@asiakas.fi"]
    assert ticket.requester.emails == ["liisa@asiakas.fi"]
    # a colleague answering on the thread joins it
    reply = (
        b"From: kirjanpito@asiakas.fi\r\nTo: tuki@tiski.example\r\n"
        b"Subject: Re: Lasku\r\nIn-Reply-To: <cc-test@asiakas.fi>\r\n"
        b"Message-ID: <cc-test-2@asiakas.fi>\r\n\r\nLisatieto.\r\n"
    )
    receipt, _created = accept(source="test", key="cc2", raw=reply, mailbox=mailbox, schedule=False)
    assert process_receipt(receipt.pk).receipt.ticket == ticket
    assert ticket.ccs.count() == 2
