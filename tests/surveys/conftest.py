"""Fixtures for surveys: a mailbox, a ticket opened by real mail, and a way to solve it."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core import mail

from tiski.connectors.email.intake import accept, process_receipt
from tiski.connectors.models import Mailbox
from tiski.rules import engine
from tiski.tickets import actions
from tiski.tickets.models import Status, Via

LINK = re.compile(r"https?://[^\s\"<>]+")


@pytest.fixture(autouse=True)
def _fresh_rules(settings):
    settings.TISKI_BASE_URL = "http://testserver"
    engine._compiled.clear()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then its after-commit work (and what that work schedules)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def mailbox(db):
    return Mailbox.objects.create(
        address="tuki@tiski.example", display_name="Tiski Tuki", auto_acknowledge=False
    )


def customer_mail(
    *,
    sender: str = "maija@example.com",
    subject: str = "Tilaus ei ole saapunut",
    message_id: str = "c1@example.com",
    extra: str = "",
) -> bytes:
    return (
        f"From: Maija Meikäläinen <{sender}>\r\nTo: tuki@tiski.example\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0300\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Hei, missä tilaukseni on?\r\n"
    ).encode()


@pytest.fixture
def receive(mailbox, committed):
    """Receive a customer's mail through the intake, as the IMAP poller would."""

    def run(raw: bytes | None = None, **kwargs):
        raw = raw or customer_mail()
        with committed():
            receipt, _created = accept(
                source=kwargs.pop("source", "test"),
                key=hashlib.sha256(raw).hexdigest(),
                raw=raw,
                mailbox=mailbox,
                schedule=False,
                **kwargs,
            )
            result = process_receipt(receipt.pk)
        return result.receipt.ticket

    return run


@pytest.fixture
def agent(make_user, make_team):
    team = make_team("Asiakastuki")
    return make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")


@pytest.fixture
def solve(committed, agent):
    def run(ticket):
        mail.outbox.clear()
        with committed():
            actions.update_ticket(
                ticket,
                actor=agent,
                via=Via.AGENT,
                status=Status.SOLVED,
                assignee=agent,
                team=agent.teams.first(),
            )
        ticket.refresh_from_db()
        return ticket

    return run


def survey_mails() -> list:
    return [
        m
        for m in mail.outbox
        if "X-Auto-Response-Suppress" in m.extra_headers and "/survey/" in m.body
    ]


def links_of(message) -> list[str]:
    return LINK.findall(message.body)


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")
