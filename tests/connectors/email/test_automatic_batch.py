"""Automatic mail many at once writes the rows one by one would.

`send_automatic_mails` (a time rule's chunk of reminders) must decide and
render each mail as `send_automatic_mail` does: loop rules, the hourly cap
counting the batch's own mail, undeliverable and own addresses, the
threading headers and the mailbox it is sent from.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiski.connectors import outbox
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundStatus
from tiski.customers.models import Identity
from tiski.tickets import actions, automatic_mail
from tiski.tickets.models import MessageKind, Via

COMPARED = (
    "ticket_id",
    "mailbox_id",
    "kind",
    "automatic",
    "from_name",
    "to",
    "cc",
    "bcc",
    "reply_to",
    "subject",
    "body_text",
    "body_html",
    "in_reply_to",
    "references",
    "status",
    "permanent_failure",
    "last_error",
)


@pytest.fixture
def mails(db, mailbox, make_ticket, make_contact, settings):
    """Mails in every situation the loop rules and threading meet."""
    settings.TISKI_AUTOMATIC_MAIL_PER_HOUR = 3
    Mailbox.objects.create(address="myynti@tiski.example", display_name="Myynti")
    threaded = make_ticket(requester=make_contact("maija@example.com"))
    first = threaded.messages.get()
    first.external_id = "kysymys@example.com"
    first.save(update_fields=["external_id"])
    actions.add_message(
        threaded,
        kind=MessageKind.PUBLIC,
        actor=None,
        via=Via.SYSTEM,
        text="Vastaus",
        external_id="vastaus@tiski.example",
    )
    actions.add_message(
        threaded,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=threaded.requester,
        text="Kiitos",
        external_id="kiitos@example.com",
    )
    away = make_ticket()
    actions.add_message(
        away,
        kind=MessageKind.SYSTEM,
        actor=None,
        via=Via.CHANNEL,
        text="Olen lomalla",
        meta={"auto_reply": {"why": "Auto-Submitted: auto-replied"}},
    )
    bounced = make_ticket(requester=make_contact("poissa@example.com"))
    Identity.objects.filter(value="poissa@example.com").update(
        undeliverable_at=timezone.now(), undeliverable_reason="550 no such user"
    )
    busy = make_ticket(requester=make_contact("kiireinen@example.com"))
    # One automatic mail already went to the busy customer this hour.
    outbox.send_automatic_mail(
        ticket=busy, to=["kiireinen@example.com"], subject="Aiempi", text="...", kind="rule"
    )

    def mail(ticket, to, subject="Muistutus {n}", from_address=""):
        return automatic_mail.AutomaticMail(
            ticket=ticket,
            to=to,
            subject=subject,
            text=f"Hei,\n\nodotamme vastaustasi tikettiin {ticket.number}.",
            kind=automatic_mail.RULE,
            from_address=from_address,
        )

    return [
        mail(threaded, ["Maija@Example.com"], from_address="myynti@tiski.example"),
        mail(away, ["asiakas@example.com"]),
        mail(bounced, ["poissa@example.com"]),
        mail(busy, ["kiireinen@example.com"]),
        mail(busy, ["kiireinen@example.com"]),
        mail(busy, ["kiireinen@example.com"]),  # the fourth this hour: capped
        mail(threaded, ["tuki@tiski.example"]),  # our own address
        mail(threaded, []),
        mail(threaded, ["maija@example.com"], from_address="eiole@tiski.example"),
    ]


def _rows(since: int) -> list[tuple]:
    return list(OutboundEmail.objects.filter(pk__gt=since).order_by("pk").values_list(*COMPARED))


def test_many_mails_are_the_rows_one_by_one_would_write(mails, django_capture_on_commit_callbacks):
    """Same recipients, statuses, reasons, bodies, headers and mailboxes on both paths."""
    since = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first()
    one_by_one = [
        outbox.send_automatic_mail(
            ticket=m.ticket,
            to=m.to,
            subject=m.subject,
            text=m.text,
            kind=m.kind,
            from_address=m.from_address,
        )
        for m in mails
    ]
    expected = _rows(since)
    OutboundEmail.objects.filter(pk__gt=since).delete()
    last = OutboundEmail.objects.order_by("-pk").values_list("pk", flat=True).first()

    with django_capture_on_commit_callbacks() as callbacks:
        together = automatic_mail.send_automatic_mails(mails)
    got = _rows(last)

    assert got == expected
    statuses = [row[COMPARED.index("status")] for row in got]
    assert statuses.count(OutboundStatus.SUPPRESSED) == 5  # away, bounced, capped, own, nobody
    assert [(q.sent, q.reason) for q in together] == [(q.sent, q.reason) for q in one_by_one]
    assert [q.id for q in together] == list(
        OutboundEmail.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)
    )
    assert len(callbacks) == 1  # the queued rows are handed to the workers after commit


def test_many_mails_cost_a_few_queries(db, mailbox, make_ticket, make_contact):
    """Twenty reminders are not twenty times queue_email's reads."""
    tickets = [make_ticket(requester=make_contact()) for _ in range(20)]
    wanted = [
        automatic_mail.AutomaticMail(
            ticket=t,
            to=[t.requester.identities.get().value],
            subject="Muistutus",
            text="Odotamme vastaustasi.",
            kind=automatic_mail.RULE,
        )
        for t in tickets
    ]
    with CaptureQueriesContext(connection) as queries:
        sent = automatic_mail.send_automatic_mails(wanted)
    assert all(q.sent for q in sent)
    assert len(queries) < 15
    assert (
        OutboundEmail.objects.filter(created_at__gte=timezone.now() - timedelta(minutes=5)).count()
        == 20
    )


def _counted_in_python(addresses, now):
    """The hourly-cap count as it was read before: every row of the hour, here."""
    wanted = {a.strip().lower() for a in addresses if a}
    counts = dict.fromkeys(wanted, 0)
    for to, cc in OutboundEmail.objects.filter(
        automatic=True, created_at__gte=now - timedelta(hours=1), status__in=outbox._COUNTED
    ).values_list("to", "cc"):
        for address in {a.lower() for a in [*(to or []), *(cc or [])]}:
            if address in counts:
                counts[address] += 1
    return counts


def test_the_hourly_cap_counts_in_the_database_as_in_python(db, mailbox, make_ticket, monkeypatch):
    """Each mail of the last hour that went out (or will) counts once per
    address it names, To or Cc; older, suppressed, failed and people's mail
    do not count."""
    now = timezone.now()
    ticket = make_ticket()
    ids = iter(range(100))

    def row(to, cc=(), *, automatic=True, status=OutboundStatus.QUEUED, minutes=5):
        return OutboundEmail(
            mailbox=mailbox,
            ticket=ticket,
            kind="rule",
            automatic=automatic,
            to=list(to),
            cc=list(cc),
            subject="x",
            body_text="x",
            rfc_message_id=f"cap-{next(ids)}@tiski.example",
            status=status,
            created_at=now - timedelta(minutes=minutes),
            next_attempt_at=now,
        )

    OutboundEmail.objects.bulk_create(
        [
            row(["a@example.com"]),
            row(["a@example.com"], ["a@example.com"]),  # named twice: counts once
            row(["b@example.com"], ["a@example.com", "c@example.com"]),
            row(["a@example.com"], status=OutboundStatus.SENT),
            row(["a@example.com"], status=OutboundStatus.RETRYING),
            row(["a@example.com"], status=OutboundStatus.SUPPRESSED),
            row(["a@example.com"], status=OutboundStatus.FAILED),
            row(["a@example.com"], minutes=61),  # before the hour
            row(["a@example.com"], automatic=False),  # a person's mail
            row(["d@example.com"], ["D@Example.com"]),  # as written: one address
            row([], ["e@example.com"]),
        ]
    )
    asked = ["A@example.com ", "b@example.com", "c@example.com", "d@example.com"]
    asked += ["e@example.com", "nobody@example.com", ""]
    counts = outbox.automatic_sent_last_hour(asked, now=now)
    assert counts == _counted_in_python(asked, now)
    assert counts == {
        "a@example.com": 5,
        "b@example.com": 1,
        "c@example.com": 1,
        "d@example.com": 1,
        "e@example.com": 1,
        "nobody@example.com": 0,
    }
    # Many addresses at once (a chunk's), in several queries: the same counts.
    monkeypatch.setattr(outbox, "CAP_ADDRESSES_PER_QUERY", 2)
    assert outbox.automatic_sent_last_hour(asked, now=now) == counts
