"""Side conversations: mail to a third party from a ticket, and their answers.

Real SMTP on loopback for what we send, real MIME through the real intake
for what comes back.
"""

from __future__ import annotations

import hashlib
import importlib

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.connectors.email.intake import Outcome
from tiski.connectors.email.side import read_side_token
from tiski.connectors.email.threading import read_reply_token
from tiski.connectors.models import OutboundEmail, OutboundKind, SideConversation, SideMessage
from tiski.reports import facts
from tiski.reports.models import ReplyFact, TicketFact
from tiski.sla.models import SlaTarget, TicketSla
from tiski.tickets.models import Event, MessageKind, Status, Ticket

from . import test_outbound as outbound_tests
from .test_outbound import customer_mail, receive

# The outgoing-mail tests' fixtures: a capturing SMTP server on loopback,
# its mailbox, an agent and a ticket opened by the customer's email.
smtp_server = outbound_tests.smtp_server


@pytest.fixture
def smtp_mailbox(transactional_db, smtp_server, settings):
    """The outgoing-mail tests' mailbox, with the shipped SLA policy back (the
    transactional database flushed it), so there are clocks to leave alone."""
    from django.apps import apps

    migration = importlib.import_module("tiski.sla.migrations.0002_default_calendar_and_policy")
    migration.create_defaults(apps, None)
    return outbound_tests.smtp_mailbox.__wrapped__(transactional_db, smtp_server, settings)


agent = outbound_tests.agent
agent_client = outbound_tests.agent_client
email_ticket = outbound_tests.email_ticket

SUPPLIER = "varasto@toimittaja.example"


def supplier_mail(
    *,
    to: str,
    message_id: str,
    extra: str = "",
    sender: str = SUPPLIER,
    subject: str = "Re: Toimituksen tila",
    body: str = "Lähetys lähti eilen, seurantakoodi 123.",
) -> bytes:
    return (
        f"From: Ville Varasto <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, 2 Jun 2025 12:00:00 +0300\r\n{extra}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def start(client, ticket, **extra):
    data = {
        "to": SUPPLIER,
        "subject": "Toimituksen tila",
        "text": "Hei, missä tilaus 42 on?",
        **extra,
    }
    return client.post(reverse("desk:side-start", args=[ticket.number]), data)


def snapshot(ticket):
    """What SLA clocks and reports know of the ticket."""
    ticket.refresh_from_db()
    facts.refresh([ticket.pk])
    return {
        "ticket": {
            f: getattr(ticket, f)
            for f in (
                "status",
                "first_agent_reply_at",
                "last_agent_reply_at",
                "last_customer_message_at",
                "sla_warn_at",
                "queue_due_at",
            )
        },
        "messages": list(ticket.messages.values_list("pk", "kind")),
        # Recomputed on any touch (computed_at); the clocks themselves must not move.
        "sla": [
            model_to_dict(r, exclude=["computed_at"])
            for r in TicketSla.objects.filter(ticket=ticket)
        ],
        "targets": [model_to_dict(r) for r in SlaTarget.objects.filter(ticket=ticket)],
        "facts": [
            {k: v for k, v in model_to_dict(r).items() if k != "refreshed_at"}
            for r in TicketFact.objects.filter(ticket_id=ticket.pk)
        ],
        "replies": ReplyFact.objects.filter(ticket_id=ticket.pk).count(),
    }


def test_side_conversation_goes_to_the_third_party_only_with_its_own_token(
    agent_client, email_ticket, smtp_server
):
    ticket = email_ticket
    before = snapshot(ticket)
    assert before["sla"][0]["policy"] is not None and before["sla"][0]["next_due_at"]
    response = start(agent_client, ticket)
    assert response.status_code == 302

    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.rcpt_tos == [SUPPLIER]  # not Maija, not Pekka on the ticket's Cc
    msg = got.message
    assert msg["Subject"] == "Toimituksen tila"
    assert f"[#{ticket.number}]" not in msg["Subject"]
    assert msg["In-Reply-To"] is None and msg["References"] is None
    reply_to = msg["Reply-To"].addresses[0].addr_spec
    conversation = SideConversation.objects.get()
    assert read_side_token(reply_to) == conversation.pk
    assert read_reply_token(reply_to) is None  # never the ticket's token
    row = OutboundEmail.objects.get()
    assert row.kind == OutboundKind.SIDE and row.ticket_id is None and row.message_id is None
    assert msg["Message-ID"] == f"<{row.rfc_message_id}>"
    assert SideMessage.objects.get().rfc_message_id == row.rfc_message_id
    # Nothing in the customer's conversation, SLA or reports.
    assert snapshot(ticket) == before
    event = Event.objects.get(ticket=ticket, field="side_conversation")
    assert event.new_value == "started" and event.meta["who"] == SUPPLIER


def test_reply_all_to_the_customers_address_threads_to_the_side_conversation(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    """The supplier answers all: our token address and the address the customer used."""
    ticket = email_ticket
    start(agent_client, ticket)
    sent = smtp_server.received[0].message
    before = snapshot(ticket)
    token_address = sent["Reply-To"].addresses[0].addr_spec
    answer = supplier_mail(
        to=f"{token_address}, tuki@tiski.example, maija@example.com",
        message_id="s1@toimittaja.example",
        extra=f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['Message-ID']}\r\n",
    )
    result = receive(smtp_mailbox, answer)
    assert result.outcome == Outcome.SIDE
    assert result.receipt.ticket_id == ticket.pk and result.receipt.message_id is None
    theirs = SideMessage.objects.get(incoming=True)
    assert theirs.from_address == SUPPLIER and "seurantakoodi 123" in theirs.text
    # Not a customer message, no SLA clock moved, reports the same.
    assert snapshot(ticket) == before
    assert not ticket.messages.filter(text__contains="seurantakoodi").exists()
    replies = Event.objects.filter(ticket=ticket, field="side_conversation", new_value="reply")
    assert replies.exists()

    # The same mail fetched twice is a duplicate, not a second reply.
    again = receive(smtp_mailbox, answer + b"\r\n")
    assert again.outcome == Outcome.DUPLICATE
    assert SideMessage.objects.filter(incoming=True).count() == 1


def test_answer_by_references_only_threads_back_and_reopens_a_closed_conversation(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    """A client that drops Reply-To: the References name our side mail."""
    ticket = email_ticket
    start(agent_client, ticket)
    conversation = SideConversation.objects.get()
    agent_client.post(reverse("desk:side-close", args=[ticket.number, conversation.pk]))
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    sent = smtp_server.received[0].message
    # Subject carries the ticket's number, which would thread to the ticket otherwise.
    answer = supplier_mail(
        to="tuki@tiski.example",
        subject=f"Re: Toimituksen tila [#{ticket.number}]",
        message_id="s2@toimittaja.example",
        sender="kirsi@toimittaja.example",  # a colleague of the supplier
        extra=f"References: {sent['Message-ID']}\r\n",
    )
    result = receive(smtp_mailbox, answer)
    assert result.outcome == Outcome.SIDE
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert "kirsi@toimittaja.example" in conversation.cc
    kinds = list(
        Event.objects.filter(ticket=ticket, field="side_conversation").values_list(
            "new_value", flat=True
        )
    )
    assert kinds == ["started", "closed", "reopened", "reply"]

    # Our answer continues the side thread: its headers, its token, both people.
    response = agent_client.post(
        reverse("desk:side-reply", args=[ticket.number, conversation.pk]),
        {"text": "Kiitos tiedosta!"},
    )
    assert response.status_code == 302
    got = smtp_server.received[-1]
    assert sorted(got.rcpt_tos) == ["kirsi@toimittaja.example", SUPPLIER]
    assert got.message["In-Reply-To"] == "<s2@toimittaja.example>"
    assert sent["Message-ID"] in got.message["References"]
    assert read_side_token(got.message["Reply-To"].addresses[0].addr_spec) == conversation.pk
    assert "maija@example.com" not in got.rcpt_tos


def test_customer_reply_still_threads_to_the_ticket(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    """The customer's own thread is untouched by a side conversation beside it."""
    start(agent_client, email_ticket)
    result = receive(
        smtp_mailbox,
        customer_mail(
            subject=f"Re: Kysymys tilauksesta [#{email_ticket.number}]",
            message_id="c9@example.com",
            extra="In-Reply-To: <c1@example.com>\r\n",
            body="Joko tiedätte?",
        ),
    )
    assert result.outcome == Outcome.THREADED and result.receipt.ticket_id == email_ticket.pk
    assert result.receipt.message.kind == MessageKind.CUSTOMER
    assert not SideMessage.objects.filter(incoming=True).exists()


def test_stranger_quoting_a_side_message_id_does_not_get_in(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    """A Message-ID alone from an unrelated sender opens nothing."""
    start(agent_client, email_ticket)
    sent = smtp_server.received[0].message
    result = receive(
        smtp_mailbox,
        supplier_mail(
            to="tuki@tiski.example",
            sender="joku@muualla.example",
            subject="Aivan muuta",
            message_id="x1@muualla.example",
            extra=f"References: {sent['Message-ID']}\r\n",
        ),
    )
    assert result.outcome == Outcome.CREATED
    assert not SideMessage.objects.filter(incoming=True).exists()


def test_forged_side_token_is_ignored(agent_client, email_ticket, smtp_server, smtp_mailbox):
    start(agent_client, email_ticket)
    conversation = SideConversation.objects.get()
    result = receive(
        smtp_mailbox,
        supplier_mail(
            to=f"tuki+s-{conversation.pk}.0000000000aaaaaaaaaa@tiski.example",
            sender="joku@muualla.example",
            subject="Arvaus",
            message_id="x2@muualla.example",
        ),
    )
    assert result.outcome == Outcome.CREATED


@pytest.fixture
def light_client(make_user, agent):
    light = make_user(
        role=Role.LIGHT_AGENT, teams=tuple(agent.teams.all()), email="asiantuntija@yritys.fi"
    )
    client = Client()  # agent_client is the `client` fixture, logged in as the agent
    client.login(username=light.email, password=PASSWORD)
    return client


def test_light_agent_reads_but_cannot_send(agent_client, email_ticket, smtp_server, light_client):
    start(agent_client, email_ticket)
    conversation = SideConversation.objects.get()
    panel = light_client.get(reverse("desk:side-panel", args=[email_ticket.number]))
    page = panel.content.decode()
    assert panel.status_code == 200 and "Hei, missä tilaus 42 on?" in page
    assert "side-reply-form" not in page and "side-start-form" not in page
    sent_before = len(smtp_server.received)
    for url, data in (
        (
            reverse("desk:side-start", args=[email_ticket.number]),
            {"to": SUPPLIER, "subject": "x", "text": "x"},
        ),
        (reverse("desk:side-reply", args=[email_ticket.number, conversation.pk]), {"text": "x"}),
        (reverse("desk:side-close", args=[email_ticket.number, conversation.pk]), {}),
    ):
        assert light_client.post(url, data).status_code == 403
    assert len(smtp_server.received) == sent_before
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.messages.count() == 1


def test_panel_over_htmx_lists_and_starts(agent_client, email_ticket, smtp_server):
    page = agent_client.get(email_ticket.get_absolute_url()).content.decode()
    assert reverse("desk:side-panel", args=[email_ticket.number]) in page
    response = agent_client.post(
        reverse("desk:side-start", args=[email_ticket.number]),
        {"to": "ei osoite", "subject": "x", "text": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and 'id="side-error"' in response.content.decode()
    assert not SideConversation.objects.exists()
    response = agent_client.post(
        reverse("desk:side-start", args=[email_ticket.number]),
        {"to": SUPPLIER, "subject": "Toimituksen tila", "text": "Hei, missä tilaus 42 on?"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'id="side-conversations"' in body
    assert "Toimituksen tila" in body and len(smtp_server.received) == 1


def test_a_closed_ticket_starts_no_side_conversation(agent_client, email_ticket, smtp_server):
    Ticket.objects.filter(pk=email_ticket.pk).update(status=Status.CLOSED)
    panel = agent_client.get(reverse("desk:side-panel", args=[email_ticket.number]))
    assert "side-start-form" not in panel.content.decode()
    response = start(agent_client, email_ticket)
    assert response.status_code in (200, 302)
    assert not SideConversation.objects.exists() and smtp_server.received == []


def test_a_conversation_with_a_team_in_tiski_is_a_child_ticket(
    agent_client, email_ticket, smtp_server, make_team
):
    billing = make_team("Laskutus")
    response = agent_client.post(
        reverse("desk:side-start", args=[email_ticket.number]),
        {"team": billing.pk, "subject": "Hyvitys 40 €", "text": "Voitteko hyvittää tilauksen 42?"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    child = Ticket.objects.get(parent=email_ticket)
    assert child.team == billing and child.subject == "Hyvitys 40 €"
    brief = child.messages.get()
    assert brief.kind == MessageKind.INTERNAL and "hyvittää" in brief.text
    # Nothing went by mail, and the panel lists the child with its team.
    assert smtp_server.received == [] and not SideConversation.objects.exists()
    page = response.content.decode()
    assert f'data-side-child="{child.number}"' in page and "Laskutus" in page
    assert 'id="side-none"' not in page
    # The agent is not in Laskutus: the child's number, team and status show, not its text.
    assert "Hyvitys 40" not in page.split('id="side-team-threads"')[1].split("</ul>")[0]


def test_a_side_conversation_needs_an_address_or_a_team(agent_client, email_ticket, smtp_server):
    response = agent_client.post(
        reverse("desk:side-start", args=[email_ticket.number]),
        {"subject": "Kysymys", "text": "Hei"},
        HTTP_HX_REQUEST="true",
    )
    assert 'id="side-error"' in response.content.decode()
    assert not SideConversation.objects.exists()
    assert not Ticket.objects.filter(parent=email_ticket).exists()


def test_in_one_import_batch_an_answer_to_the_suppliers_answer_stays_on_the_side(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    """A batch looks the side mails up once; a third party's answer stored by the
    batch counts for the mail after it, as processing one by one would find it."""
    from django.db import transaction

    from tiski.connectors.email.intake import accept_new, process_accepted

    ticket = email_ticket
    start(agent_client, ticket)
    sent = smtp_server.received[0].message
    first = supplier_mail(
        to="tuki@tiski.example",
        message_id="s1@toimittaja.example",
        extra=f"References: {sent['Message-ID']}\r\n",
    )
    # Names only the supplier's answer, which is in this same batch.
    second = supplier_mail(
        to="tuki@tiski.example",
        message_id="s2@toimittaja.example",
        sender="kirsi@toimittaja.example",
        body="Lisäksi toinen paketti lähtee huomenna.",
        extra="In-Reply-To: <s1@toimittaja.example>\r\n",
    )
    unrelated = customer_mail(
        sender="liisa@example.fi", subject="Uusi asia", message_id="u1@example.fi"
    )
    raws = [first, second, unrelated]
    items = [(hashlib.sha256(raw).hexdigest(), raw) for raw in raws]
    with transaction.atomic():
        accepted = accept_new(source="test", items=items, mailbox=smtp_mailbox)
        results = process_accepted([receipt for receipt, _created in accepted])
    assert [r.outcome for r in results] == [Outcome.SIDE, Outcome.SIDE, Outcome.CREATED]
    assert SideMessage.objects.filter(incoming=True).count() == 2
    assert results[2].receipt.ticket_id != ticket.pk
