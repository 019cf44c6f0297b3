"""Threading decisions, pure: candidates in, decision and reason out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tiski.channels.email.parse import parse_email
from tiski.channels.email.threading import (
    ThreadCandidates,
    TicketCandidate,
    decide_thread,
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
    decision = decide_thread(
        gmail, ThreadCandidates(by_message_id={"CAFx8Q1aFIRST@mail.gmail.com": ticket(2)}), now=NOW
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
