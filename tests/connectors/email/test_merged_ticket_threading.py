"""Email that answers a merged-away ticket lands on the ticket it was merged into.

Through the real intake: accept() a raw mail, process the receipt, see where
the message went.
"""

from __future__ import annotations

import hashlib

import pytest

from tiski.connectors.email.intake import Outcome, accept, process_receipt
from tiski.connectors.email.outbound import store_message_id
from tiski.connectors.email.threading import make_reply_token
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Ticket, Via


def receive(mailbox, raw: bytes):
    receipt, _created = accept(
        source="test", key=hashlib.sha256(raw).hexdigest(), raw=raw, mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk)


def mail(*, message_id: str, subject: str, to: str = "tuki@tiski.example", extra: str = ""):
    return (
        f"From: Liisa Lahtinen <liisa@asiakas.fi>\nTo: {to}\nSubject: {subject}\n"
        f"Message-ID: <{message_id}>\nDate: Mon, 2 Jun 2025 10:00:00 +0300\n{extra}"
        "Content-Type: text/plain; charset=utf-8\n\nHei, vielä keittimestä.\n"
    ).encode()


@pytest.fixture
def merged(mailbox, make_user):
    """Liisa's two tickets about one coffee maker; the first merged into the second."""
    agent = make_user()
    first = receive(mailbox, mail(message_id="a1@asiakas.fi", subject="Keitin vuotaa")).receipt
    second = receive(mailbox, mail(message_id="b1@asiakas.fi", subject="Kahvinkeitin")).receipt
    reply = actions.add_message(
        first.ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text="Lähetämme tiivisteen.",
    )
    # As outbound does once the reply is sent: our Message-ID on our message.
    store_message_id(reply.pk, "reply-a@tiski.example")
    actions.merge_tickets(first.ticket, second.ticket, actor=agent, via=Via.AGENT)
    return {"source": Ticket.objects.get(pk=first.ticket_id), "target": second.ticket}


def test_reply_to_a_moved_message_threads_onto_the_target(mailbox, merged):
    """In-Reply-To names a message that moved: the reply goes where the message is now."""
    source, target = merged["source"], merged["target"]
    result = receive(
        mailbox,
        mail(
            message_id="a2@asiakas.fi",
            subject="Re: Keitin vuotaa",
            extra="In-Reply-To: <a1@asiakas.fi>\nReferences: <a1@asiakas.fi>\n",
        ),
    )
    assert result.outcome == Outcome.THREADED and result.receipt.ticket == target
    assert result.receipt.message.meta["threading"] == {
        "reason": "in_reply_to",
        "matched": "a1@asiakas.fi",
    }
    source.refresh_from_db()
    assert source.status == Status.CLOSED
    assert not source.messages.exclude(kind=MessageKind.SYSTEM).exists()


def test_reply_to_our_reply_by_references_threads_onto_the_target(mailbox, merged):
    """Our sent reply moved with the merge; a mail referencing it reaches the target."""
    result = receive(
        mailbox,
        mail(
            message_id="a3@asiakas.fi",
            subject="Re: Keitin vuotaa",
            extra="References: <a1@asiakas.fi> <reply-a@tiski.example>\n",
        ),
    )
    assert result.receipt.ticket == merged["target"]
    assert result.receipt.message.meta["threading"]["reason"] == "references"


def test_reply_token_of_the_merged_ticket_leads_to_the_target(mailbox, merged):
    """Our replies carry tuki+<token>@ of the source; the token must lead to the target."""
    source = merged["source"]
    raw = mail(
        message_id="a4@asiakas.fi",
        subject="Re: Keitin vuotaa",
        to=f"tuki+{make_reply_token(source)}@tiski.example",
        extra="In-Reply-To: <reply-a@tiski.example>\n",
    )
    result = receive(mailbox, raw)
    assert result.receipt.ticket == merged["target"]


def test_subject_reference_of_the_merged_ticket_leads_to_the_target(mailbox, merged):
    """[#M] of the merged ticket, from its requester, threads onto the target."""
    source = merged["source"]
    raw = mail(message_id="a5@asiakas.fi", subject=f"Keitin vuotaa [#{source.number}]")
    result = receive(mailbox, raw)
    assert result.receipt.ticket == merged["target"]
