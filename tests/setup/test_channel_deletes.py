"""Deleting a mailbox or a phone line from Settings: confirm, keep the tickets, log it."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.urls import reverse

from tiski.connectors.models import (
    InboundReceipt,
    Mailbox,
    OutboundEmail,
    OutboundStatus,
    ReceiptStatus,
)
from tiski.connectors.phone.models import Call, PhoneLine
from tiski.tickets.models import Ticket

from .conftest import last_change


def _receipt(mailbox: Mailbox, ticket=None, status=ReceiptStatus.PROCESSED) -> InboundReceipt:
    receipt = InboundReceipt(source="imap", key=f"k{InboundReceipt.objects.count()}")
    receipt.mailbox, receipt.ticket, receipt.status = mailbox, ticket, status
    receipt.raw.save("mail.eml", ContentFile(b"Subject: hei\r\n\r\nhei"), save=False)
    receipt.save()
    return receipt


def _outbound(mailbox: Mailbox, ticket, status=OutboundStatus.SENT) -> OutboundEmail:
    return OutboundEmail.objects.create(
        mailbox=mailbox,
        ticket=ticket,
        kind="reply",
        to=["asiakas@esimerkki.fi"],
        subject="Re: hei",
        rfc_message_id=f"x{OutboundEmail.objects.count()}@tiski.example",
        status=status,
    )


def test_agent_cannot_delete_a_mailbox(agent_client, db):
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi")
    assert agent_client.post(reverse("setup:mailbox-delete", args=[mailbox.pk])).status_code == 403
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()


def test_deleting_a_used_mailbox_keeps_tickets_and_mail(admin_client, admin, make_ticket):
    """The page says what happens; after confirming, the ticket, the raw mail
    and the sent mail stay with their mailbox emptied, and the log says who."""
    Mailbox.objects.create(address="myynti@yritys.fi")
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi")
    ticket = make_ticket()
    receipt = _receipt(mailbox, ticket)
    sent = _outbound(mailbox, ticket)
    url = reverse("setup:mailbox-delete", args=[mailbox.pk])
    page = admin_client.get(url).content.decode()
    assert "Delete the mailbox “tuki@yritys.fi”?" in page
    assert "Tickets and their messages stay as they are." in page
    assert "No more mail is fetched or received for tuki@yritys.fi" in page
    assert "default mailbox" not in page  # myynti@ is the first: the default
    response = admin_client.post(url)
    assert response["Location"] == reverse("setup:mailboxes")
    assert not Mailbox.objects.filter(pk=mailbox.pk).exists()
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    receipt.refresh_from_db()
    sent.refresh_from_db()
    assert receipt.mailbox is None and receipt.ticket_id == ticket.pk
    assert sent.mailbox is None
    change = last_change("mailboxes")
    assert (change.action, change.object_label, change.actor) == (
        "deleted",
        "tuki@yritys.fi",
        admin,
    )


def test_the_default_mailbox_says_which_takes_over(admin_client, db):
    first = Mailbox.objects.create(address="tuki@yritys.fi")
    Mailbox.objects.create(address="myynti@yritys.fi")
    page = admin_client.get(reverse("setup:mailbox-delete", args=[first.pk])).content.decode()
    assert "This is the desk&#x27;s default mailbox" in page
    assert "myynti@yritys.fi becomes the default." in page


def test_the_only_mailbox_warns_that_replies_cannot_be_emailed(admin_client, db):
    only = Mailbox.objects.create(address="tuki@yritys.fi")
    page = admin_client.get(reverse("setup:mailbox-delete", args=[only.pk])).content.decode()
    assert "the desk&#x27;s only active mailbox" in page


def test_mail_waiting_to_be_sent_or_processed_blocks_the_delete(admin_client, make_ticket):
    mailbox = Mailbox.objects.create(address="tuki@yritys.fi")
    ticket = make_ticket()
    queued = _outbound(mailbox, ticket, status=OutboundStatus.QUEUED)
    _receipt(mailbox, status=ReceiptStatus.PENDING)
    url = reverse("setup:mailbox-delete", args=[mailbox.pk])
    response = admin_client.post(url)
    assert response.status_code == 409
    page = response.content.decode()
    assert "1 email is still waiting to be sent from it." in page
    assert "1 incoming message is still being processed." in page
    assert Mailbox.objects.filter(pk=mailbox.pk).exists()
    assert last_change("mailboxes") is None
    OutboundEmail.objects.filter(pk=queued.pk).update(status=OutboundStatus.SENT)
    InboundReceipt.objects.update(status=ReceiptStatus.PROCESSED)
    assert admin_client.post(url).status_code == 302
    assert not Mailbox.objects.filter(pk=mailbox.pk).exists()


def test_deleting_a_phone_line_keeps_its_tickets_and_stops_its_token(
    admin_client, admin, client, make_ticket
):
    line = PhoneLine.objects.create(name="Vaihde", number="+358912345678")
    token = line.token
    ticket = make_ticket(channel="phone")
    Call.objects.create(line=line, call_id="c1", number="+358401234567", ticket=ticket)
    url = reverse("setup:phone-line-delete", args=[line.pk])
    page = admin_client.get(url).content.decode()
    assert "new calls to +358912345678 no longer reach the desk" in page
    assert "The line&#x27;s record of 1 call is removed" in page
    assert admin_client.post(url).status_code == 302
    assert not PhoneLine.objects.filter(pk=line.pk).exists()
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert last_change("phone_lines").action == "deleted"
    response = client.post(
        "/phone/events/",
        {"type": "ringing", "call_id": "c2", "from": "+358401234567"},
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code in (401, 403)
