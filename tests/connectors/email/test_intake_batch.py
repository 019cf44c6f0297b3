"""Batch intake: many receipts processed together decide exactly as one by one."""

from __future__ import annotations

import hashlib

from django.db import transaction

from tiski.connectors.email import intake
from tiski.connectors.email.intake import Outcome, accept_new, process_accepted, process_receipt
from tiski.connectors.models import InboundReceipt, ReceiptStatus
from tiski.tickets.models import Event, Message, Ticket

from .conftest import fixture_bytes


def mail(message_id, *, sender="maija@example.fi", subject="Tilaus 1", body="Hei!", extra=""):
    sender_line = f"From: Maija <{sender}>\n" if sender else ""
    return (
        f"{sender_line}To: tuki@tiski.example\nSubject: {subject}\n"
        f"Message-ID: <{message_id}>\nDate: Mon, 2 Jun 2025 10:00:00 +0300\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def conversation() -> list[bytes]:
    """Mail of every kind the intake tells apart, with replies inside the batch."""
    return [
        mail("a1@example.fi", body="Missä tilaukseni on?"),
        mail(
            "a2@example.fi",
            subject="Re: Tilaus 1",
            body="Vieläkin odotan.",
            extra="In-Reply-To: <a1@example.fi>\nReferences: <a1@example.fi>\n",
        ),
        mail(
            "b1@example.com",
            sender="john@example.com",
            subject="Invoice",
            body="Wrong amount, please check.",
            extra="Cc: Mary <mary@example.com>, tuki@tiski.example\n",
        ),
        # The same Message-ID again (another copy of a1): a duplicate.
        mail("a1@example.fi", body="Missä tilaukseni on? (kopio)"),
        mail("x1@example.fi", sender="", subject="Kuka?"),
        fixture_bytes("bounce_dsn.eml"),
        mail(
            "b2@example.com",
            sender="mary@example.com",
            subject="RE: Invoice",
            body="Same problem here.",
            extra="References: <b1@example.com>\n",
        ),
        b"",
        mail("c1@example.fi", sender="liisa@example.fi", subject="Uusi asia", body="Hei"),
    ]


def stored_receipts(mailbox, raws: list[bytes]) -> list[InboundReceipt]:
    items = [(hashlib.sha256(raw + str(n).encode()).hexdigest(), raw) for n, raw in enumerate(raws)]
    return [
        receipt for receipt, _created in accept_new(source="test", items=items, mailbox=mailbox)
    ]


def snapshot() -> dict:
    """What intake wrote, in a form that does not depend on ids or numbers."""
    tickets = {
        t.pk: (
            t.subject,
            t.status,
            t.requester.identities.get().value,
            sorted(c.identities.get().value for c in t.ccs.all()),
        )
        for t in Ticket.objects.prefetch_related("ccs__identities").select_related("requester")
    }
    messages = [
        (
            tickets[m.ticket_id][0],
            m.kind,
            m.external_id,
            m.author_contact.identities.get().value if m.author_contact else "",
            m.meta.get("threading", {}).get("reason"),
        )
        for m in Message.objects.order_by("id")
    ]
    events = sorted(
        (tickets[e.ticket_id][0], e.kind, e.field, e.new_value if e.field != "ccs" else "")
        for e in Event.objects.all()
    )
    receipts = [(r.status, r.reason[:20]) for r in InboundReceipt.objects.order_by("id")]
    return {
        "tickets": sorted(tickets.values()),
        "messages": messages,
        "events": events,
        "receipts": receipts,
    }


class _Rollback(Exception):
    pass


def run_and_snapshot(work) -> tuple[dict, list[str]]:
    """Run ``work`` in a savepoint, read what it wrote, then undo it."""
    taken: dict = {}
    try:
        with transaction.atomic():
            taken["outcomes"] = work()
            taken["snapshot"] = snapshot()
            raise _Rollback
    except _Rollback:
        pass
    return taken["snapshot"], taken["outcomes"]


def test_batch_decides_exactly_as_one_by_one(mailbox):
    """Replies within the batch, duplicates, a bounce in the middle, mail
    without a sender and unreadable mail: the batch writes the same tickets,
    messages, events and receipts as processing each receipt in turn."""

    def one_by_one():
        return [process_receipt(r.pk).outcome for r in stored_receipts(mailbox, conversation())]

    def together():
        return [r.outcome for r in process_accepted(stored_receipts(mailbox, conversation()))]

    expected, expected_outcomes = run_and_snapshot(one_by_one)
    got, outcomes = run_and_snapshot(together)
    assert outcomes == expected_outcomes
    assert outcomes == [
        Outcome.CREATED,
        Outcome.THREADED,
        Outcome.CREATED,
        Outcome.DUPLICATE,
        Outcome.QUARANTINED,
        Outcome.BOUNCE_UNMATCHED,
        Outcome.THREADED,
        Outcome.QUARANTINED,
        Outcome.CREATED,
    ]
    assert got == expected
    # The reply inside the batch found its ticket by In-Reply-To, and the
    # person copied on the first mail is a CC and the author of the last one.
    assert ("Tilaus 1", "customer", "a2@example.fi", "maija@example.fi", "in_reply_to") in (
        got["messages"]
    )
    assert ("Invoice", "new", "john@example.com", ["mary@example.com"]) in got["tickets"]


def test_one_broken_message_does_not_stop_the_batch(mailbox, monkeypatch):
    """An unexpected error in one message sets only that one aside: the
    batch is taken again one by one and the others become tickets."""
    real_prepare = intake.prepare

    def prepare(parsed):
        if parsed.subject == "Rikki":
            raise RuntimeError("body exploded")
        return real_prepare(parsed)

    monkeypatch.setattr(intake, "prepare", prepare)
    raws = [
        mail("r1@example.fi", subject="Ensimmäinen"),
        mail("r2@example.fi", subject="Rikki"),
        mail("r3@example.fi", subject="Kolmas", sender="pekka@example.fi"),
    ]
    results = process_accepted(stored_receipts(mailbox, raws))
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.QUARANTINED,
        Outcome.CREATED,
    ]
    broken = results[1].receipt
    broken.refresh_from_db()
    assert broken.status == ReceiptStatus.QUARANTINED
    assert broken.reason == "RuntimeError: body exploded"
    assert broken.attempts == 1
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["Ensimmäinen", "Kolmas"]


def test_batch_costs_a_handful_of_queries(mailbox, django_assert_max_num_queries):
    """Forty mails, a quarter of them replies, cost a few dozen statements in
    all, not a dozen each."""
    raws = []
    for n in range(30):
        raws.append(mail(f"n{n}@example.fi", sender=f"asiakas{n}@example.fi", subject=f"Asia {n}"))
    for n in range(10):
        raws.append(
            mail(
                f"n{n}-re@example.fi",
                sender=f"asiakas{n}@example.fi",
                subject=f"Re: Asia {n}",
                extra=f"In-Reply-To: <n{n}@example.fi>\n",
            )
        )
    receipts = stored_receipts(mailbox, raws)
    with django_assert_max_num_queries(40):
        results = process_accepted(receipts)
    assert [r.outcome for r in results].count(Outcome.CREATED) == 30
    assert [r.outcome for r in results].count(Outcome.THREADED) == 10
    assert Message.objects.count() == 40 and Ticket.objects.count() == 30
