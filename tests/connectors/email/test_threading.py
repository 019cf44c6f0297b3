"""Threading decisions, pure: candidates in, decision and reason out; then find_thread."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tiski.connectors.email.parse import parse_email, thread_index_root
from tiski.connectors.email.threading import (
    ThreadCandidates,
    ThreadIndexCandidate,
    TicketCandidate,
    decide_thread,
    find_thread,
    make_reply_token,
    normalise_subject,
    read_reply_token,
)

from .conftest import fixture_bytes

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def ticket(
    ticket_id=1,
    number=1042,
    status="open",
    participants=("minna.virtanen@asiakas.fi",),
    subject="Tilauksen toimituspäivä",
    days_ago=1,
):
    return TicketCandidate(
        ticket_id=ticket_id,
        number=number,
        status=status,
        updated_at=NOW - timedelta(days=days_ago),
        subject=subject,
        participants=frozenset(participants),
    )


@pytest.fixture
def outlook():
    return parse_email(fixture_bytes("outlook_fi_reply.eml"))


def test_token_wins_over_everything(outlook):
    candidates = ThreadCandidates(
        by_token=ticket(7, 7007), by_message_id={outlook.in_reply_to: ticket(1)}
    )
    decision = decide_thread(outlook, candidates, now=NOW)
    assert (decision.ticket_id, decision.reason) == (7, "token")


def test_in_reply_to_then_references(outlook):
    decision = decide_thread(
        outlook, ThreadCandidates(by_message_id={outlook.in_reply_to: ticket(1)}), now=NOW
    )
    assert (decision.ticket_id, decision.reason) == (1, "in_reply_to")
    gmail = parse_email(fixture_bytes("gmail_fi_reply.eml"))
    gmail = replace(gmail, in_reply_to="")
    pekkas = ticket(2, participants=("pekka.korhonen@gmail.com",))
    decision = decide_thread(
        gmail, ThreadCandidates(by_message_id={"CAFx8Q1aFIRST@mail.gmail.com": pekkas}), now=NOW
    )
    assert (decision.ticket_id, decision.reason) == (2, "references")


def test_subject_reference_only_from_participants(outlook):
    candidates = ThreadCandidates(by_number={1042: ticket(3)})
    decision = decide_thread(outlook, candidates, now=NOW)
    assert (decision.ticket_id, decision.reason, decision.matched) == (3, "subject_ref", "#1042")
    stranger = ThreadCandidates(by_number={1042: ticket(3, participants=("other@x.fi",))})
    assert decide_thread(outlook, stranger, now=NOW).reason == "new"


def test_subject_match_is_optional_and_recent_and_unsolved():
    mail = parse_email(b"From: Minna <minna.virtanen@asiakas.fi>\nSubject: x\n\nhei")
    mail = replace(mail, subject="VS: Re: Vs: AW: Fwd: FW: VL: SV: tilauksen TOIMITUSPÄIVÄ")
    candidates = ThreadCandidates(by_sender=(ticket(4),))
    assert decide_thread(mail, candidates, now=NOW).reason == "new"
    decision = decide_thread(mail, candidates, now=NOW, subject_days=7)
    assert (decision.ticket_id, decision.reason) == (4, "subject_match")
    old = ThreadCandidates(by_sender=(ticket(4, days_ago=30),))
    assert decide_thread(mail, old, now=NOW, subject_days=7).reason == "new"
    solved = ThreadCandidates(by_sender=(ticket(4, status="solved"),))
    assert decide_thread(mail, solved, now=NOW, subject_days=7).reason == "new"


def test_reply_to_closed_ticket_is_a_follow_up(outlook):
    candidates = ThreadCandidates(
        by_message_id={outlook.in_reply_to: ticket(5, 1005, status="closed")}
    )
    decision = decide_thread(outlook, candidates, now=NOW)
    assert decision.ticket_id is None and decision.reason == "new"
    assert decision.follow_up_of == 1005
    assert decision.as_meta()["follow_up_of"] == 1005


def test_nothing_found_is_new(outlook):
    decision = decide_thread(outlook, ThreadCandidates(), now=NOW)
    assert (decision.ticket_id, decision.reason) == (None, "new")


def test_normalise_subject():
    assert normalise_subject("RE: Vs: [#1234] Re:  Hello   World") == "hello world"
    assert normalise_subject("Re[2]: AW: Sv: x") == "x"
    assert normalise_subject("Re: " * 500 + "x") != ""


def test_reply_token_round_trip_and_forgery(settings):
    token = make_reply_token(123456)
    assert len(token) <= 26 and token == token.lower()
    assert read_reply_token(token) == 123456
    assert read_reply_token(f"tuki+{token.upper()}@tiski.example") == 123456
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert read_reply_token(forged) is None
    assert read_reply_token("tuki@tiski.example") is None
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert read_reply_token(token) is None


# --- Outlook's Thread-Index -------------------------------------------------------------

# The conversation root of outlook_reply_thread_index.eml (22 bytes as hex).
OUTLOOK_ROOT = "0101dbdb61555f3a9c2e41b74d0e9a617c28e0b4d913"


@pytest.fixture
def outlook_index():
    """Outlook's reply without In-Reply-To and References, only Thread-Index/Thread-Topic."""
    return parse_email(fixture_bytes("outlook_reply_thread_index.eml"))


def test_outlook_reply_without_references_has_a_thread_index_root(outlook_index):
    assert outlook_index.in_reply_to == "" and outlook_index.references == ()
    assert outlook_index.thread_index_root == OUTLOOK_ROOT
    assert outlook_index.headers["thread-topic"] == "Tilauksen toimituspäivä"
    assert "tiistai käy hyvin" in outlook_index.text


@pytest.mark.parametrize(
    ("value", "root"),
    [
        ("AQHb22FVXzqcLkG3TQ6aYXwo4LTZEw==", OUTLOOK_ROOT),  # a new conversation
        ("AQHb22FVXzqcLkG3TQ6aYXwo4LTZEwA2DXww", OUTLOOK_ROOT),  # one reply, unpadded
        (" AQHb22FVXzqcLkG3TQ6aYXwo4LTZ\r\n EwA2DXww ", OUTLOOK_ROOT),  # folded
        ("", ""),
        ("not base64 at all!", ""),
        ("AQHb22FVXzqc", ""),  # 9 bytes: no root
        ("AQHb22FVXzqcLkG3TQ6aYXwo4LTZEwA2", ""),  # 24 bytes: not 22 + 5n
        ("AQEBAQEBAAAAAAAAAAAAAAAAAAAAAA==", ""),  # all-zero conversation id
        ("A" * 5000, ""),
    ],
)
def test_thread_index_root_ignores_malformed_values(value, root):
    assert thread_index_root(value) == root


def test_malformed_thread_index_in_a_mail_is_ignored():
    raw = b"From: a@b.example\nSubject: x\nThread-Index: =?utf-8?q???\n\nhei"
    mail = parse_email(raw)
    assert mail.thread_index_root == ""


def by_root(candidate, root=OUTLOOK_ROOT, sent_to=()):
    return ThreadCandidates(
        by_thread_index=(ThreadIndexCandidate(root, candidate, frozenset(sent_to)),)
    )


def test_thread_index_threads_a_participant(outlook_index):
    decision = decide_thread(outlook_index, by_root(ticket(8)), now=NOW)
    assert (decision.ticket_id, decision.reason, decision.matched) == (
        8,
        "thread_index",
        OUTLOOK_ROOT,
    )
    assert decision.as_meta() == {"reason": "thread_index", "matched": OUTLOOK_ROOT}


def test_thread_index_threads_someone_we_sent_that_conversation_to(outlook_index):
    """Not yet a participant, but our own mail with this root went to them."""
    candidate = ticket(8, participants=("other@asiakas.fi",))
    decision = decide_thread(
        outlook_index, by_root(candidate, sent_to=("minna.virtanen@asiakas.fi",)), now=NOW
    )
    assert (decision.ticket_id, decision.reason) == (8, "thread_index")


def test_thread_index_from_a_stranger_opens_a_new_ticket(outlook_index):
    """A forward keeps the root: holding it proves nothing about who writes."""
    stranger = by_root(ticket(8, participants=("other@asiakas.fi",)), sent_to=("x@y.fi",))
    assert decide_thread(outlook_index, stranger, now=NOW).reason == "new"


def test_thread_index_needs_the_same_root(outlook_index):
    other_root = "01" + "ab" * 21
    decision = decide_thread(outlook_index, by_root(ticket(8), root=other_root), now=NOW)
    assert decision.reason == "new"


def test_thread_index_comes_after_references_and_before_the_subject_reference(outlook_index):
    with_ids = replace(outlook_index, in_reply_to="ours@tiski.example", subject="Re: x [#1042]")
    candidates = ThreadCandidates(
        by_message_id={"ours@tiski.example": ticket(1)},
        by_thread_index=(ThreadIndexCandidate(OUTLOOK_ROOT, ticket(2), frozenset()),),
        by_number={1042: ticket(3)},
    )
    assert decide_thread(with_ids, candidates, now=NOW).reason == "in_reply_to"
    without_ids = replace(with_ids, in_reply_to="")
    decision = decide_thread(without_ids, candidates, now=NOW)
    assert (decision.ticket_id, decision.reason) == (2, "thread_index")


def test_thread_index_onto_a_closed_ticket_is_a_follow_up(outlook_index):
    decision = decide_thread(outlook_index, by_root(ticket(9, 1009, status="closed")), now=NOW)
    assert decision.ticket_id is None and decision.follow_up_of == 1009


# --- find_thread with stored messages -----------------------------------------------------


@pytest.fixture
def outlook_ticket(db):
    """Minna's ticket whose first mail started the Outlook conversation."""
    from tiski.customers.actions import get_or_create_contact
    from tiski.tickets import actions
    from tiski.tickets.models import Message, MessageKind, Via

    minna, _ = get_or_create_contact("email", "minna.virtanen@asiakas.fi", name="Minna")
    created = actions.create_ticket(
        requester=minna, subject="Tilauksen toimituspäivä", actor=None, via=Via.CHANNEL
    )
    first = actions.add_message(
        created,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=minna,
        text="Milloin tilaus tulee?",
        external_id="first@asiakas.fi",
    )
    Message.objects.filter(pk=first.pk).update(thread_index_root=OUTLOOK_ROOT)
    return created


def test_find_thread_matches_the_stored_root_of_a_participant(outlook_ticket, outlook_index):
    decision = find_thread(outlook_index)
    assert (decision.ticket_id, decision.reason) == (outlook_ticket.pk, "thread_index")


def test_find_thread_ignores_the_root_from_another_sender(outlook_ticket, outlook_index):
    forwarded = replace(
        outlook_index, sender=replace(outlook_index.sender, address="kolmas@muualla.fi")
    )
    assert find_thread(forwarded).reason == "new"


def test_find_thread_matches_a_recipient_of_our_message_with_the_root(
    outlook_ticket, outlook_index, mailbox
):
    """Pekka got our reply (copied); his Outlook answer has only the conversation root."""
    from tiski.connectors.models import OutboundEmail, OutboundStatus
    from tiski.tickets import actions
    from tiski.tickets.models import Message, MessageKind, Via

    Message.objects.update(thread_index_root="")
    reply = actions.add_message(
        outlook_ticket, kind=MessageKind.PUBLIC, actor=None, via=Via.SYSTEM, text="Tiistaina."
    )
    Message.objects.filter(pk=reply.pk).update(thread_index_root=OUTLOOK_ROOT)
    OutboundEmail.objects.create(
        mailbox=mailbox,
        ticket=outlook_ticket,
        message=reply,
        kind="reply",
        to=["minna.virtanen@asiakas.fi"],
        cc=["pekka@asiakas.fi"],
        subject="Re: Tilauksen toimituspäivä",
        rfc_message_id="tiski.r1@tiski.example",
        status=OutboundStatus.SENT,
    )
    pekka = replace(outlook_index, sender=replace(outlook_index.sender, address="Pekka@Asiakas.fi"))
    decision = find_thread(pekka)
    assert (decision.ticket_id, decision.reason) == (outlook_ticket.pk, "thread_index")
    stranger = replace(outlook_index, sender=replace(outlook_index.sender, address="x@y.fi"))
    assert find_thread(stranger).reason == "new"
