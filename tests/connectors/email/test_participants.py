"""Who may join a case: one participant rule for every header-based threading path."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.connectors import outbox
from tiski.connectors.email import threading
from tiski.connectors.email.intake import Outcome, accept, accept_new, process_accepted
from tiski.connectors.email.parse import parse_email
from tiski.connectors.email.threading import (
    ThreadCandidates,
    ThreadIndexCandidate,
    TicketCandidate,
    decide_thread,
    find_candidates,
    may_take_part,
)
from tiski.connectors.models import OutboundKind
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Organisation, OrganisationDomain
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Ticket, TicketLink, Via

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
# Outlook's Thread-Index of a new conversation, and the root it carries.
THREAD_INDEX = "AQHb22FVXzqcLkG3TQ6aYXwo4LTZEw=="
ROOT = "0101dbdb61555f3a9c2e41b74d0e9a617c28e0b4d913"


def candidate(ticket_id=1, number=1042, participants=("minna@asiakas.fi",), domains=()):
    return TicketCandidate(
        ticket_id=ticket_id,
        number=number,
        status="open",
        updated_at=NOW - timedelta(days=1),
        subject="Tilaus",
        participants=frozenset(participants),
        domains=frozenset(domains),
    )


# --- the rule, pure ------------------------------------------------------------------------


def test_may_take_part():
    ticket = candidate(participants=("minna@asiakas.fi",), domains=("asiakas.fi",))
    assert may_take_part("Minna@Asiakas.fi", ticket)
    assert may_take_part("pekka@asiakas.fi", ticket)  # the requester's organisation
    assert not may_take_part("pekka@muualla.fi", ticket)
    assert not may_take_part("pekka@sub.asiakas.fi", ticket)
    assert may_take_part("pekka@muualla.fi", ticket, sender_is_agent=True)
    assert may_take_part("pekka@muualla.fi", ticket, also=frozenset({"pekka@muualla.fi"}))
    assert not may_take_part("", ticket)


def mail_for(path: str):
    """A stranger's mail that points at ticket 1042 the way ``path`` does."""
    headers = {
        "in_reply_to": "In-Reply-To: <ours-1@tiski.example>\n",
        "references": "References: <first@asiakas.fi> <ours-1@tiski.example>\n",
        "thread_index": f"Thread-Index: {THREAD_INDEX}\n",
        "subject_ref": "",
    }[path]
    subject = "Fw: Tilaus [#1042]" if path == "subject_ref" else "Fw: Tilaus"
    raw = (
        f"From: Kolmas <kolmas@muualla.fi>\nTo: tuki@tiski.example\nSubject: {subject}\n"
        f"Message-ID: <k1@muualla.fi>\n{headers}\nOma kysymykseni.\n"
    )
    return parse_email(raw.encode())


def candidates_for(path: str, ticket: TicketCandidate) -> ThreadCandidates:
    return {
        "in_reply_to": ThreadCandidates(by_message_id={"ours-1@tiski.example": ticket}),
        "references": ThreadCandidates(by_message_id={"ours-1@tiski.example": ticket}),
        "thread_index": ThreadCandidates(
            by_thread_index=(ThreadIndexCandidate(ROOT, ticket, frozenset()),)
        ),
        "subject_ref": ThreadCandidates(by_number={1042: ticket}),
    }[path]


PATHS = ["in_reply_to", "references", "thread_index", "subject_ref"]


@pytest.mark.parametrize("path", PATHS)
def test_every_header_path_goes_through_the_one_rule(path, monkeypatch):
    """Whatever the rule answers decides, for each path: a path that skipped
    it would thread the stranger although the rule said no."""
    mail = mail_for(path)
    if path == "references":
        mail = replace(mail, in_reply_to="")
    asked: list[tuple[str, int]] = []

    def rule(sender, ticket, **_kwargs):
        asked.append((sender, ticket.ticket_id))
        return answer

    monkeypatch.setattr(threading, "may_take_part", rule)
    found = candidates_for(path, candidate(ticket_id=7))
    answer = False
    refused = decide_thread(mail, found, now=NOW)
    assert asked and set(asked) == {("kolmas@muualla.fi", 7)}
    assert (refused.ticket_id, refused.reason) == (None, "new")
    assert refused.refused == ((7, 1042),)
    answer = True
    taken = decide_thread(mail, found, now=NOW)
    assert (taken.ticket_id, taken.reason) == (7, path)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("in_reply_to", "In-Reply-To matched #1042, but the sender is not a participant"),
        ("references", "References matched #1042, but the sender is not a participant"),
        ("thread_index", "Thread-Index matched #1042, but the sender is not a participant"),
        (
            "subject_ref",
            "The ticket number in the subject matched #1042, but the sender is not a participant",
        ),
    ],
)
def test_a_refused_match_records_why(path, why):
    mail = mail_for(path)
    if path == "references":
        mail = replace(mail, in_reply_to="")
    decision = decide_thread(mail, candidates_for(path, candidate()), now=NOW)
    assert decision.ticket_id is None
    assert decision.as_meta()["why"] == why
    assert decision.as_meta()["not_participant"] == [1042]


def test_a_later_path_may_still_find_the_senders_own_ticket():
    """A forward of someone else's thread with the sender's own [#n]: their ticket."""
    mail = replace(mail_for("references"), subject="Fw: Tilaus [#2001]")
    found = ThreadCandidates(
        by_message_id={"ours-1@tiski.example": candidate(1, 1042)},
        by_number={2001: candidate(2, 2001, participants=("kolmas@muualla.fi",))},
    )
    decision = decide_thread(mail, found, now=NOW)
    assert (decision.ticket_id, decision.reason, decision.refused) == (2, "subject_ref", ())


# --- with the database: the intake -------------------------------------------------------------


def receive(mailbox, raw: str, key: str):
    from tiski.connectors.email.intake import process_receipt

    receipt, _created = accept(
        source="test", key=key, raw=raw.encode(), mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk)


@pytest.fixture
def minnas_case(mailbox):
    """Minna's ticket: her first mail (Pekka copied) and our reply, also to a supplier."""
    result = receive(
        mailbox,
        "From: Minna <minna@asiakas.fi>\nTo: tuki@tiski.example\nCc: pekka@asiakas.fi\n"
        "Subject: Tilaus 77\nMessage-ID: <first@asiakas.fi>\n"
        f"Thread-Index: {THREAD_INDEX}\n\nMissä tilaukseni on?\n",
        "first",
    )
    ticket = result.receipt.ticket
    reply = actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=None,
        via=Via.SYSTEM,
        text="Selvitämme asiaa.",
        external_id="ours-1@tiski.example",
    )
    Message.objects.filter(pk=reply.pk).update(thread_index_root=ROOT)
    outbox.queue_email(
        ticket=ticket,
        to=["minna@asiakas.fi"],
        cc=["toimittaja@tukku.example"],
        subject="Re: Tilaus 77",
        text="Selvitämme asiaa.",
        kind=OutboundKind.REPLY,
        automatic=False,
        message=reply,
        mailbox=mailbox,
    )
    ticket.refresh_from_db()
    return ticket


FORWARD = (
    "From: Kolmas Henkilo <kolmas@muualla.fi>\nTo: tuki@tiski.example\n"
    "Subject: Fw: Tilaus 77\nMessage-ID: <fw-1@muualla.fi>\n"
    "References: <first@asiakas.fi> <ours-1@tiski.example>\n"
    "Thread-Index: AQHb22FVXzqcLkG3TQ6aYXwo4LTZEwA2DXww\n\n"
    "Hei, minulla on oma kysymys laskustani.\n\n"
    "---------- Forwarded message ----------\nMissä tilaukseni on?\n"
)


def test_a_stranger_forwarding_a_thread_gets_a_ticket_of_their_own(mailbox, minnas_case):
    """References and the Thread-Index root of our reply are kept by the
    forward: the stranger's question opens a new ticket that mentions
    Minna's, and the stranger is never copied on Minna's case."""
    ccs_before = set(minnas_case.ccs.values_list("pk", flat=True))
    result = receive(mailbox, FORWARD, "forward")
    assert result.outcome == Outcome.CREATED
    new = result.receipt.ticket
    assert new.pk != minnas_case.pk
    assert new.requester.emails == ["kolmas@muualla.fi"]
    assert set(minnas_case.ccs.values_list("pk", flat=True)) == ccs_before
    threading_meta = result.receipt.message.meta["threading"]
    assert threading_meta["reason"] == "new"
    assert threading_meta["why"] == (
        f"References matched #{minnas_case.number}, but the sender is not a participant"
    )
    link = TicketLink.objects.get()
    assert (link.source, link.target, link.kind) == (new, minnas_case, "mentions")
    assert link.reason == threading_meta["why"]
    assert new.events.filter(field="link", new_value=str(minnas_case.number)).exists()
    assert minnas_case.events.filter(field="linked_from", new_value=str(new.number)).exists()


@pytest.mark.parametrize(
    ("sender", "why"),
    [
        ("pekka@asiakas.fi", "a CC of the ticket"),
        ("toimittaja@tukku.example", "our reply was copied to them"),
    ],
)
def test_participants_are_trusted_with_the_ticket_number(mailbox, minnas_case, sender, why):
    """Someone copied on the customer's mail, or someone our reply went to,
    writes with [#n] in the subject: that is Minna's ticket."""
    result = receive(
        mailbox,
        f"From: {sender}\nTo: tuki@tiski.example\n"
        f"Subject: Tilaus 77 [#{minnas_case.number}]\nMessage-ID: <n-{sender}>\n\n"
        "Toimitus lähtee huomenna.\n",
        f"number-{sender}",
    )
    assert result.outcome == Outcome.THREADED, why
    assert result.receipt.ticket == minnas_case
    assert result.receipt.message.meta["threading"]["reason"] == "subject_ref"


def test_the_requesters_organisation_may_join(mailbox, minnas_case):
    organisation = Organisation.objects.create(name="Asiakas Oy")
    OrganisationDomain.objects.create(organisation=organisation, domain="asiakas.fi")
    minnas_case.requester.organisation = organisation
    minnas_case.requester.save()
    result = receive(
        mailbox,
        "From: Liisa <liisa@asiakas.fi>\nTo: tuki@tiski.example\nSubject: Re: Tilaus 77\n"
        "Message-ID: <l1@asiakas.fi>\nIn-Reply-To: <ours-1@tiski.example>\n\nMinäkin odotan.\n",
        "colleague",
    )
    assert result.outcome == Outcome.THREADED
    assert result.receipt.ticket == minnas_case
    # A colleague answering on the thread joins it, as before.
    assert "liisa@asiakas.fi" in {c.emails[0] for c in minnas_case.ccs.all()}


def test_an_agent_may_join_and_is_not_made_a_cc(mailbox, minnas_case, django_user_model):
    django_user_model.objects.create_user("agentti@tiski.example", "pw", name="Agentti")
    result = receive(
        mailbox,
        "From: agentti@tiski.example\nTo: tuki@tiski.example\nSubject: Re: Tilaus 77\n"
        "Message-ID: <a1@tiski.example>\nIn-Reply-To: <ours-1@tiski.example>\n\nLisätieto.\n",
        "agent",
    )
    assert result.outcome == Outcome.THREADED
    assert result.receipt.ticket == minnas_case
    assert "agentti@tiski.example" not in {c.emails[0] for c in minnas_case.ccs.all()}


def test_a_stranger_replying_in_the_same_batch_is_refused_as_one_by_one(mailbox):
    """An import: the stranger's reply to a mail that opened a ticket a
    moment earlier in the same batch names that ticket's real number."""
    first = (
        b"From: Minna <minna@asiakas.fi>\nTo: tuki@tiski.example\nSubject: Tilaus\n"
        b"Message-ID: <b1@asiakas.fi>\n\nHei\n"
    )
    stranger = (
        b"From: kolmas@muualla.fi\nTo: tuki@tiski.example\nSubject: Fw: Tilaus\n"
        b"Message-ID: <b2@muualla.fi>\nIn-Reply-To: <b1@asiakas.fi>\n\nOma asia\n"
    )
    receipts = [
        r
        for r, _c in accept_new(
            source="test", items=[("b1", first), ("b2", stranger)], mailbox=mailbox
        )
    ]
    from django.db import transaction

    with transaction.atomic():
        results = process_accepted(receipts)
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.CREATED]
    minnas, strangers = (r.receipt.ticket for r in results)
    why = results[1].receipt.message.meta["threading"]["why"]
    assert why == f"In-Reply-To matched #{minnas.number}, but the sender is not a participant"
    assert TicketLink.objects.filter(source=strangers, target=minnas).exists()
    assert not minnas.ccs.exists()


def test_participant_data_is_fetched_per_batch_not_per_mail(mailbox):
    """Looking up candidates for twenty replies costs what it costs for one."""
    minna, _ = get_or_create_contact("email", "minna@asiakas.fi", name="Minna")
    mails = []
    for n in range(20):
        ticket = actions.create_ticket(
            requester=minna,
            subject=f"Asia {n}",
            actor=None,
            via=Via.CHANNEL,
            text="Hei",
            external_id=f"q{n}@asiakas.fi",
        )
        assert isinstance(ticket, Ticket)
        mails.append(
            parse_email(
                f"From: minna@asiakas.fi\nSubject: Re: Asia {n} [#{ticket.number}]\n"
                f"In-Reply-To: <q{n}@asiakas.fi>\nThread-Index: {THREAD_INDEX}\n\nx\n".encode()
            )
        )

    def queries(batch) -> int:
        with CaptureQueriesContext(connection) as captured:
            find_candidates(batch, mailbox)
        return len(captured.captured_queries)

    assert queries(mails) == queries(mails[:1])
