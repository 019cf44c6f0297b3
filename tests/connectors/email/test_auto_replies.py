"""Automatic replies (out of office, vacation) never open tickets."""

from __future__ import annotations

import pytest
from django.db import transaction

from tiski.connectors.email import loops
from tiski.connectors.email.intake import Outcome, accept, accept_new, process_accepted
from tiski.connectors.models import InboundReceipt, OutboundEmail, ReceiptStatus
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Ticket, Via

AUTO_HEADERS = [
    "Auto-Submitted: auto-replied",
    "X-Autoreply: yes",
    "X-Autorespond: Out of office",
    "Precedence: auto_reply",
    "X-Apple-Action: vacation",
]


def out_of_office(header: str, *, sender="minna@asiakas.fi", extra="", key="ooo") -> str:
    """An automatic reply with its own subject and no threading headers."""
    return (
        f"From: Minna <{sender}>\nTo: tuki@tiski.example\n"
        f"Subject: Poissa toimistolta 1.-16.6.\nMessage-ID: <{key}@asiakas.fi>\n"
        f"{header}\n{extra}\nOlen lomalla 16.6. asti.\n"
    )


def receive(mailbox, raw: str, key: str = "ooo"):
    from tiski.connectors.email.intake import process_receipt

    receipt, _created = accept(
        source="test", key=key, raw=raw.encode(), mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk)


@pytest.fixture
def minnas_ticket(mailbox):
    result = receive(
        mailbox,
        "From: Minna <minna@asiakas.fi>\nTo: tuki@tiski.example\nSubject: Tilaus 77\n"
        "Message-ID: <first@asiakas.fi>\n\nMissä tilaukseni on?\n",
        key="first",
    )
    ticket = result.receipt.ticket
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, status=Status.PENDING)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize("header", AUTO_HEADERS)
def test_an_automatic_reply_goes_on_the_senders_ticket_as_a_system_message(
    mailbox, minnas_ticket, header
):
    """No new ticket, no status change, no customer-reply timestamp, nothing sent."""
    last_customer = minnas_ticket.last_customer_message_at
    result = receive(mailbox, out_of_office(header))
    assert result.outcome == Outcome.AUTO_REPLY_ATTACHED
    assert Ticket.objects.count() == 1
    message = result.receipt.message
    assert message.ticket == minnas_ticket and message.kind == MessageKind.SYSTEM
    assert "Olen lomalla" in message.text
    assert message.meta["auto_reply"]["from"] == "minna@asiakas.fi"
    minnas_ticket.refresh_from_db()
    assert minnas_ticket.status == Status.PENDING
    assert minnas_ticket.last_customer_message_at == last_customer
    assert not OutboundEmail.objects.exists()


def test_an_automatic_reply_to_our_mail_goes_on_that_ticket(mailbox, minnas_ticket):
    """Threading first: the reply answers an older ticket, not the latest one."""
    receive(
        mailbox,
        "From: minna@asiakas.fi\nTo: tuki@tiski.example\nSubject: Toinen asia\n"
        "Message-ID: <second@asiakas.fi>\n\nHei taas\n",
        key="second",
    )
    result = receive(
        mailbox,
        out_of_office("Auto-Submitted: auto-replied", extra="In-Reply-To: <first@asiakas.fi>\n"),
    )
    assert result.outcome == Outcome.AUTO_REPLY_ATTACHED
    assert result.receipt.ticket == minnas_ticket
    assert result.receipt.message.meta["threading"]["reason"] == "in_reply_to"


def test_a_solved_ticket_stays_solved(mailbox, minnas_ticket):
    actions.update_ticket(minnas_ticket, actor=None, via=Via.SYSTEM, status=Status.SOLVED)
    result = receive(mailbox, out_of_office("X-Autoreply: yes"))
    assert result.outcome == Outcome.AUTO_REPLY_ATTACHED
    minnas_ticket.refresh_from_db()
    assert minnas_ticket.status == Status.SOLVED


@pytest.mark.parametrize("header", AUTO_HEADERS)
def test_an_automatic_reply_from_someone_without_a_ticket_is_kept_for_admins(mailbox, header):
    result = receive(mailbox, out_of_office(header, sender="tuntematon@muualla.fi"))
    assert result.outcome == Outcome.AUTO_REPLY_UNMATCHED
    assert not Ticket.objects.exists()
    receipt = InboundReceipt.objects.get(pk=result.receipt.pk)
    assert receipt.status == ReceiptStatus.PROCESSED and receipt.ticket is None
    assert receipt.reason.startswith("automatic reply without a ticket: ")


def test_a_closed_ticket_does_not_take_automatic_replies(mailbox, minnas_ticket):
    actions.update_ticket(minnas_ticket, actor=None, via=Via.SYSTEM, status=Status.SOLVED)
    actions.update_ticket(minnas_ticket, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    result = receive(mailbox, out_of_office("Auto-Submitted: auto-replied"))
    assert result.outcome == Outcome.AUTO_REPLY_UNMATCHED
    assert Ticket.objects.count() == 1


def test_list_and_web_form_mail_still_opens_tickets(mailbox):
    """Not automatic replies: a support address behind a mailing list, a
    web form sending from no-reply."""
    assert loops.automatic_reply_reason({"precedence": "list", "list-id": "<tuki.x>"}) == ""
    assert loops.automatic_reply_reason({"x-auto-response-suppress": "All"}) == ""
    result = receive(
        mailbox,
        "From: no-reply@kauppa.example\nReply-To: asiakas@example.fi\nTo: tuki@tiski.example\n"
        "Subject: Yhteydenottolomake\nMessage-ID: <form@kauppa.example>\n\nViesti lomakkeelta\n",
    )
    assert result.outcome == Outcome.CREATED


def test_an_automatic_reply_in_an_import_batch(mailbox):
    """In a batch the reply finds the ticket opened a moment earlier in it."""
    first = (
        b"From: Minna <minna@asiakas.fi>\nTo: tuki@tiski.example\nSubject: Tilaus\n"
        b"Message-ID: <i1@asiakas.fi>\n\nHei\n"
    )
    receipts = [
        r
        for r, _c in accept_new(
            source="test",
            items=[("i1", first), ("i2", out_of_office("X-Autorespond: yes").encode())],
            mailbox=mailbox,
        )
    ]
    with transaction.atomic():
        results = process_accepted(receipts)
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.AUTO_REPLY_ATTACHED]
    assert results[1].receipt.ticket == results[0].receipt.ticket
    assert Ticket.objects.count() == 1


def test_the_admin_lists_automatic_replies_kept_aside(mailbox, client, admin_user):
    admin_user.is_superuser = True  # the Django admin is for superusers only
    admin_user.save()
    # Not the connector tests' admin_client: that one is a settings admin, not this superuser.
    client.force_login(admin_user)
    receive(mailbox, out_of_office("Auto-Submitted: auto-replied", sender="x@muualla.fi"))
    receive(
        mailbox,
        "From: a@b.example\nTo: tuki@tiski.example\nSubject: Ihminen\n"
        "Message-ID: <h@b.example>\n\nHei\n",
        key="person",
    )
    response = client.get("/admin/comms/inboundreceipt/?kept=aside")
    assert response.status_code == 200
    body = response.content.decode()
    assert "automatic reply without a ticket" in body
    assert "Ihminen" not in body and str(Ticket.objects.get()) not in body
