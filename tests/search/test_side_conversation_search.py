"""Side conversations are in their ticket's search entry: a supplier's answer finds the ticket."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tiski.accounts.models import Role
from tiski.connectors import outbox
from tiski.connectors.email import side
from tiski.connectors.email.parse import parse_email
from tiski.search.service import search_tickets


@pytest.fixture(autouse=True)
def _no_sending(monkeypatch):
    # Sending is the outbox's business (tested there); here only the index counts.
    monkeypatch.setattr(outbox, "enqueue", lambda outbound_id: None)


def numbers(results) -> list[int]:
    return [hit.ticket.number for hit in results.hits]


def test_side_conversation_texts_find_their_ticket(make_user, indexed_ticket, committed, mailbox):
    agent = make_user(role=Role.ADMIN)
    ticket = indexed_ticket(subject="Paketti kateissa", text="Tilaukseni ei tullut")
    other = indexed_ticket(subject="Laskukysymys", text="Lasku on väärin")
    with committed():
        conversation = side.start(
            ticket,
            actor=agent,
            to=["tilaukset@toimittaja.example"],
            subject="Rahtikirja 88231",
            text="Voitteko jäljittää lähetyksen kuljetusliikkeeltä?",
        )
    assert numbers(search_tickets(agent, "88231")) == [ticket.number]
    assert numbers(search_tickets(agent, "kuljetusliikkeeltä")) == [ticket.number]
    with committed():
        side.reply(conversation, actor=agent, text="Muistutus: varastosaldo tarkistettava")
    assert numbers(search_tickets(agent, "varastosaldo")) == [ticket.number]
    raw = (
        b"From: Toimittaja <tilaukset@toimittaja.example>\r\n"
        b"To: tuki@tiski.example\r\n"
        b"Subject: Re: Rahtikirja 88231\r\n"
        b"Message-ID: <vastaus-1@toimittaja.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Lähetys löytyi terminaalista Vantaalta.\r\n".encode()
    )
    with committed():
        side.receive(SimpleNamespace(), parse_email(raw), conversation)
    assert numbers(search_tickets(agent, "terminaalista")) == [ticket.number]
    assert other.number not in numbers(search_tickets(agent, "88231"))


def test_outsiders_do_not_find_it(make_user, make_team, indexed_ticket, committed, mailbox):
    secret = make_team(restricted=True)
    member = make_user(teams=(secret,))
    outsider = make_user(teams=(make_team(),))
    ticket = indexed_ticket(subject="Sisäinen asia", team=secret)
    with committed():
        side.start(
            ticket, actor=member, to=["hr@kumppani.example"], subject="Palkkaerittely", text="x"
        )
    assert numbers(search_tickets(member, "palkkaerittely")) == [ticket.number]
    assert numbers(search_tickets(outsider, "palkkaerittely")) == []
