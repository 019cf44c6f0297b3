"""Outgoing email against a real SMTP server (aiosmtpd on loopback) started by the tests."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.connectors import outbox, sending
from tiski.connectors import tasks as connector_tasks
from tiski.connectors.email import outbound
from tiski.connectors.email.intake import Outcome, accept, process_receipt
from tiski.connectors.email.threading import read_reply_token
from tiski.connectors.models import Mailbox, OutboundEmail, OutboundKind, OutboundStatus
from tiski.connectors.transport import TransportError
from tiski.customers.actions import get_or_create_contact
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Ticket, Via

# --- a capturing SMTP server ----------------------------------------------------------


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class CaptureHandler:
    """Collects what it receives; queued replies make it refuse on purpose."""

    received: list[Captured] = field(default_factory=list)
    # Answers for the next DATA commands ("451 ..."), used up in order.
    data_replies: list[str] = field(default_factory=list)
    # address -> answer to RCPT TO for that address.
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(
            Captured(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = CaptureHandler(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp_mailbox(transactional_db, smtp_server, settings):
    settings.TISKI_SMTP_TIMEOUT = 5
    return Mailbox.objects.create(
        address="tuki@tiski.example",
        display_name="Yritys Oy",
        signature="Yritys Oy asiakaspalvelu\npuh. 010 123 4567",
        outbound_method="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_security="none",
    )


@pytest.fixture
def agent(make_user, make_team):
    team = make_team("Asiakastuki")
    return make_user(
        teams=(team,), name="Minna Virtanen", email="minna@yritys.fi", signature="Minna"
    )


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


def receive(mailbox: Mailbox, raw: bytes, **kwargs):
    receipt, _created = accept(
        source="test",
        key=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        mailbox=mailbox,
        schedule=False,
        **kwargs,
    )
    return process_receipt(receipt.pk)


def customer_mail(
    *,
    sender: str = "maija@example.com",
    to: str = "tuki@tiski.example",
    subject: str = "Kysymys tilauksesta",
    message_id: str = "c1@example.com",
    extra: str = "",
    body: str = "Hei, missä tilaukseni on? Terveisin Maija",
) -> bytes:
    return (
        f"From: Maija Meikäläinen <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, 2 Jun 2025 10:00:00 +0300\r\n{extra}"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


@pytest.fixture
def email_ticket(smtp_mailbox, agent):
    """A ticket opened by Maija's email, with Pekka copied."""
    result = receive(smtp_mailbox, customer_mail(extra="Cc: pekka@example.com\r\n"))
    ticket = result.receipt.ticket
    pekka, _ = get_or_create_contact("email", "pekka@example.com", name="Pekka")
    actions.add_ccs(ticket, [pekka], actor=None, via=Via.CHANNEL)
    return ticket


def post_reply(client, ticket: Ticket, text: str = "Tilauksesi on matkalla.", files=()):
    return client.post(
        reverse("desk:ticket-reply", args=[ticket.number]),
        {
            "kind": "public",
            "text": text,
            "last_seen_message": ticket.messages.last().pk,
            "attachments": list(files),
        },
    )


# --- the happy path ------------------------------------------------------------------------


def test_desk_reply_is_sent_once_with_threading_headers_parts_and_attachment(
    agent_client, email_ticket, smtp_server
):
    """A reply from the desk reaches the customer and the CC, threaded and signed."""
    ticket = email_ticket
    upload = SimpleUploadedFile("ohje.pdf", b"%PDF-1.4 ohje", content_type="application/pdf")
    response = post_reply(agent_client, ticket, files=[upload])
    assert response.status_code == 302

    assert len(smtp_server.received) == 1
    got = smtp_server.received[0]
    assert got.mail_from == "tuki@tiski.example"
    assert sorted(got.rcpt_tos) == ["maija@example.com", "pekka@example.com"]
    msg = got.message
    row = OutboundEmail.objects.get()
    assert row.status == OutboundStatus.SENT and row.attempts == 1 and row.sent_at
    assert row.kind == OutboundKind.REPLY and not row.automatic

    assert msg["From"].addresses[0].display_name == "Minna Virtanen / Yritys Oy"
    assert msg["From"].addresses[0].addr_spec == "tuki@tiski.example"
    assert msg["To"].addresses[0].addr_spec == "maija@example.com"
    assert msg["Cc"].addresses[0].addr_spec == "pekka@example.com"
    assert msg["Subject"] == f"Re: Kysymys tilauksesta [#{ticket.number}]"
    assert msg["Message-ID"] == f"<{row.rfc_message_id}>"
    assert row.rfc_message_id.endswith("@tiski.example")
    assert msg["In-Reply-To"] == "<c1@example.com>"
    assert "<c1@example.com>" in msg["References"]
    reply_to = msg["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("tuki+") and reply_to.endswith("@tiski.example")
    assert read_reply_token(reply_to) == ticket.pk
    assert msg["Auto-Submitted"] is None  # a person wrote this

    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content()
    assert "Tilauksesi on matkalla." in text and "Tilauksesi on matkalla." in html
    assert "-- \nMinna\n\nYritys Oy asiakaspalvelu" in text
    assert "puh. 010 123 4567" in html
    files = [(p.get_filename(), p.get_content()) for p in msg.iter_attachments()]
    assert files == [("ohje.pdf", b"%PDF-1.4 ohje")]

    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert reply.external_id == row.rfc_message_id and row.message_id == reply.pk

    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert f'data-outbound-id="{row.pk}"' in page and "delivery-sent" in page


def test_customer_answer_to_the_sent_reply_threads_onto_the_ticket(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    """The customer's client quotes our Message-ID or writes to the token address."""
    post_reply(agent_client, email_ticket)
    sent = smtp_server.received[0].message
    ours = sent["Message-ID"]
    answer = customer_mail(
        subject=f"Re: {sent['Subject']}",
        message_id="c2@example.com",
        extra=f"In-Reply-To: {ours}\r\nReferences: <c1@example.com> {ours}\r\n",
        body="Kiitos, tuli perille!",
    )
    result = receive(smtp_mailbox, answer)
    assert result.outcome == Outcome.THREADED and result.receipt.ticket_id == email_ticket.pk
    assert result.receipt.message.meta["threading"]["reason"] == "in_reply_to"

    # Outlook sometimes drops the threading headers; the token address still works.
    token_answer = customer_mail(
        to=sent["Reply-To"].addresses[0].addr_spec,
        subject="uusi otsikko",
        message_id="c3@example.com",
        body="Vielä yksi asia.",
    )
    result = receive(smtp_mailbox, token_answer)
    assert result.receipt.ticket_id == email_ticket.pk
    assert result.receipt.message.meta["threading"]["reason"] == "token"


def test_internal_note_sends_nothing(agent_client, email_ticket, smtp_server):
    agent_client.post(
        reverse("desk:ticket-reply", args=[email_ticket.number]),
        {"kind": "internal", "text": "Soitin varastoon."},
    )
    assert smtp_server.received == [] and not OutboundEmail.objects.exists()


# --- failures ---------------------------------------------------------------------------------


def test_temporary_failure_retries_with_backoff_and_sends_once(
    agent_client, email_ticket, smtp_server
):
    """451 -> retrying, not before its time; the sweeper sends it later, exactly once."""
    start = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    smtp_server.data_replies = ["451 4.3.0 Mailbox busy, try later"]
    with time_machine.travel(start, tick=False) as clock:
        post_reply(agent_client, email_ticket)
        row = OutboundEmail.objects.get()
        assert row.status == OutboundStatus.RETRYING and row.attempts == 1
        assert "451" in row.last_error and "busy" in row.last_error
        assert row.next_attempt_at == start + timedelta(minutes=1)
        assert smtp_server.received == []

        # Not due yet: neither the task nor the sweeper sends it.
        assert outbound.send_outbound(row.pk) == outbound.SendResult.UNCHANGED
        assert outbox.sweep_outbox()["requeued"] == 0

        clock.shift(timedelta(minutes=1, seconds=5))
        assert outbox.sweep_outbox()["requeued"] == 1
        row.refresh_from_db()
        assert row.status == OutboundStatus.SENT and row.attempts == 2
        assert row.last_error == ""

        clock.shift(timedelta(hours=1))
        outbox.sweep_outbox()
        assert outbound.send_outbound(row.pk) == outbound.SendResult.UNCHANGED
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].message["Message-ID"] == f"<{row.rfc_message_id}>"
    page = agent_client.get(email_ticket.get_absolute_url()).content.decode()
    assert "delivery-sent" in page


def test_backoff_schedule_then_failure(smtp_mailbox, make_ticket, monkeypatch):
    """1, 5, 15, 60 and 240 minutes apart; the sixth failure gives up."""
    calls: list[datetime] = []

    def always_busy(mailbox, email):
        from django.utils import timezone

        calls.append(timezone.now())
        raise TransportError("421 try later", permanent=False)

    monkeypatch.setattr(outbound, "send_smtp", always_busy)
    ticket = make_ticket()
    start = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        row = outbox.queue_email(
            ticket=ticket,
            to=["maija@example.com"],
            subject="Hei",
            text="Hei",
            kind=OutboundKind.NOTIFICATION,
            automatic=False,
            mailbox=smtp_mailbox,
        )
        for _ in range(6):
            row.refresh_from_db()
            if row.status != OutboundStatus.RETRYING:
                break
            clock.move_to(row.next_attempt_at + timedelta(seconds=1))
            outbox.sweep_outbox()
    row.refresh_from_db()
    gaps = [round((b - a).total_seconds() / 60) for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps == [1, 5, 15, 60, 240]
    assert row.status == OutboundStatus.FAILED and not row.permanent_failure
    assert row.attempts == 6 and row.last_error.startswith("Gave up after 6 attempts")


def test_permanent_failure_shows_on_the_ticket_with_a_working_retry(
    agent_client, agent, email_ticket, smtp_server, make_user
):
    """550 -> failed with the reason; Retry re-queues it (CSRF-protected, visibility-checked)."""
    smtp_server.rcpt_replies = {
        "maija@example.com": "550 5.1.1 No such user here",
        "pekka@example.com": "550 5.1.1 No such user here",
    }
    post_reply(agent_client, email_ticket)
    row = OutboundEmail.objects.get()
    assert row.status == OutboundStatus.FAILED and row.permanent_failure
    assert "550" in row.last_error and "No such user" in row.last_error
    assert smtp_server.received == []

    page = agent_client.get(email_ticket.get_absolute_url()).content.decode()
    retry_url = reverse("channels:outbound-retry", args=[row.pk])
    assert "delivery-failed" in page and "No such user here" in page
    assert f'action="{retry_url}"' in page and "csrfmiddlewaretoken" in page

    # Without the CSRF token the retry is refused.
    strict = Client(enforce_csrf_checks=True)
    strict.login(username=agent.email, password=PASSWORD)
    assert strict.post(retry_url).status_code == 403
    # An agent who cannot see the ticket gets a 404, a light agent a 403.
    outsider = make_user(teams=())
    email_ticket.team = agent.teams.first()
    email_ticket.save(update_fields=["team"])
    other = Client()
    other.login(username=outsider.email, password=PASSWORD)
    assert other.post(retry_url).status_code == 404
    light = make_user(role=Role.LIGHT_AGENT, teams=(agent.teams.first(),))
    other.login(username=light.email, password=PASSWORD)
    assert other.post(retry_url).status_code == 403
    assert agent_client.get(retry_url).status_code == 405
    row.refresh_from_db()
    assert row.status == OutboundStatus.FAILED

    smtp_server.rcpt_replies = {}
    response = agent_client.post(retry_url)
    assert response.status_code == 302 and f"#message-{row.message_id}" in response["Location"]
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT
    assert len(smtp_server.received) == 1
    # A second click finds nothing to retry and sends nothing.
    agent_client.post(retry_url)
    assert len(smtp_server.received) == 1


def test_partly_refused_recipients_still_send(agent_client, email_ticket, smtp_server):
    smtp_server.rcpt_replies = {"pekka@example.com": "550 5.1.1 Unknown"}
    post_reply(agent_client, email_ticket)
    row = OutboundEmail.objects.get()
    assert row.status == OutboundStatus.SENT and "pekka@example.com" in row.last_error
    assert smtp_server.received[0].rcpt_tos == ["maija@example.com"]


def test_connection_refused_is_temporary(smtp_mailbox, make_ticket):
    smtp_mailbox.smtp_port = free_port()  # nobody listens there
    smtp_mailbox.save()
    row = outbox.queue_email(
        ticket=make_ticket(),
        to=["maija@example.com"],
        subject="Hei",
        text="Hei",
        kind=OutboundKind.NOTIFICATION,
        automatic=False,
        mailbox=smtp_mailbox,
    )
    row.refresh_from_db()
    assert row.status == OutboundStatus.RETRYING and "ConnectionRefusedError" in row.last_error


def test_stuck_sending_row_is_flagged_not_resent(smtp_mailbox, make_ticket, smtp_server):
    """A crash mid-send: after 10 minutes the row waits for a person, it is never resent."""
    row = outbox.queue_email(
        ticket=make_ticket(),
        to=["maija@example.com"],
        subject="Hei",
        text="Hei",
        kind=OutboundKind.NOTIFICATION,
        automatic=False,
        mailbox=smtp_mailbox,
    )
    assert len(smtp_server.received) == 1
    # Pretend the worker died after claiming the row.
    start = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    OutboundEmail.objects.filter(pk=row.pk).update(
        status=OutboundStatus.SENDING, next_attempt_at=start
    )
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert outbox.sweep_outbox()["interrupted"] == 0
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert outbox.sweep_outbox() == {"requeued": 0, "interrupted": 1}
    row.refresh_from_db()
    assert row.status == OutboundStatus.FAILED and not row.permanent_failure
    assert "not known whether" in row.last_error
    assert outbound.send_outbound(row.pk) == outbound.SendResult.UNCHANGED
    assert len(smtp_server.received) == 1


# --- exactly once --------------------------------------------------------------------------------


def _queued_without_sending(monkeypatch, mailbox, ticket) -> OutboundEmail:
    monkeypatch.setattr(outbox, "enqueue", lambda outbound_id: None)
    return outbox.queue_email(
        ticket=ticket,
        to=["maija@example.com"],
        subject="Hei",
        text="Hei",
        kind=OutboundKind.NOTIFICATION,
        automatic=False,
        mailbox=mailbox,
    )


def test_send_outbound_twice_sends_once(smtp_mailbox, make_ticket, smtp_server, monkeypatch):
    row = _queued_without_sending(monkeypatch, smtp_mailbox, make_ticket())
    assert smtp_server.received == []
    assert outbound.send_outbound(row.pk) == outbound.SendResult.SENT
    assert outbound.send_outbound(row.pk) == outbound.SendResult.UNCHANGED
    assert len(smtp_server.received) == 1


def test_concurrent_send_outbound_sends_once(smtp_mailbox, make_ticket, smtp_server, monkeypatch):
    """Two workers race for one row; only the one that claimed it sends."""
    if connection.vendor == "sqlite":
        pytest.skip("threads share one in-memory SQLite test database poorly; runs on PostgreSQL")
    row = _queued_without_sending(monkeypatch, smtp_mailbox, make_ticket())
    barrier = threading.Barrier(2)
    results: list[str] = []
    real_send = outbound.send_smtp

    def slow_send(mailbox, email):
        # Hold the claim long enough for the other thread to try.
        threading.Event().wait(0.3)
        return real_send(mailbox, email)

    monkeypatch.setattr(outbound, "send_smtp", slow_send)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(outbound.send_outbound(row.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # The loser finds the row locked (busy) or already claimed (unchanged).
    assert len(results) == 2 and results.count(outbound.SendResult.SENT) == 1
    assert len(smtp_server.received) == 1
    row.refresh_from_db()
    assert row.status == OutboundStatus.SENT and row.attempts == 1


# --- bounces -----------------------------------------------------------------------------------


def dsn(original_id: str, recipient: str = "maija@example.com") -> bytes:
    return (
        "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.tiski.example>\r\n"
        "To: tuki@tiski.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.tiski.example>\r\nAuto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        f"<{recipient}>: host mx.example.com said: 550 5.1.1 User unknown\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.tiski.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: tuki@tiski.example\r\nTo: {recipient}\r\nMessage-ID: <{original_id}>\r\n\r\n"
        "--B--\r\n"
    ).encode()


def test_bounce_marks_identity_undeliverable_and_the_row_failed(
    agent_client, email_ticket, smtp_server, smtp_mailbox
):
    post_reply(agent_client, email_ticket)
    row = OutboundEmail.objects.get()
    assert row.status == OutboundStatus.SENT
    result = receive(smtp_mailbox, dsn(row.rfc_message_id))
    assert result.outcome == Outcome.BOUNCE_ATTACHED
    assert result.receipt.ticket_id == email_ticket.pk
    row.refresh_from_db()
    assert row.status == OutboundStatus.FAILED and row.permanent_failure
    assert "550 5.1.1 User unknown" in row.last_error
    identity = email_ticket.requester.identities.get(value="maija@example.com")
    assert identity.undeliverable_at is not None
    assert "User unknown" in identity.undeliverable_reason
    page = agent_client.get(email_ticket.get_absolute_url()).content.decode()
    assert "delivery-failed" in page and "User unknown" in page

    # The next agent reply to that address is not sent; the agent sees why.
    post_reply(agent_client, email_ticket, text="Toinen yritys")
    newest = OutboundEmail.objects.order_by("-id").first()
    assert newest.status == OutboundStatus.FAILED and "undeliverable" in newest.last_error
    assert newest.to == ["maija@example.com"]
    assert len(smtp_server.received) == 1


def test_no_mailbox_means_no_mail(transactional_db, make_ticket, agent):
    ticket = make_ticket()
    message = actions.add_message(
        ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text="Hei"
    )
    assert not OutboundEmail.objects.exists()
    assert Message.objects.get(pk=message.pk).external_id == ""


# --- Outlook's Thread-Index on our mail -------------------------------------------------------

CUSTOMER_ROOT = "0101dbdb61555f3a9c2e41b74d0e9a617c28e0b4d913"


def _index_bytes(value: str) -> bytes:
    return base64.b64decode(value)


def test_thread_index_reply_is_the_root_plus_one_response_level():
    """Pure: 22 + 5 bytes, the same for the same seed, readable back to its root."""
    from tiski.connectors.email import compose
    from tiski.connectors.email.parse import thread_index_root

    at = datetime(2025, 6, 12, 6, 15, tzinfo=UTC)
    value = compose.thread_index_reply(CUSTOMER_ROOT, at, b"seed")
    data = _index_bytes(value)
    assert len(data) == 27 and data[:22].hex() == CUSTOMER_ROOT
    assert compose.thread_index_reply(CUSTOMER_ROOT, at, b"seed") == value
    assert thread_index_root(value) == CUSTOMER_ROOT
    # A day later the response level says so: 31 bits of the FILETIME delta >> 18.
    later = _index_bytes(compose.thread_index_reply(CUSTOMER_ROOT, at + timedelta(days=1), b"seed"))
    assert int.from_bytes(later[22:26], "big") > int.from_bytes(data[22:26], "big")
    assert compose.thread_index_reply("zz", at, b"seed") == ""
    assert compose.thread_index_reply("01" * 5, at, b"seed") == ""


def test_new_thread_index_root_is_outlook_shaped_and_per_seed():
    from tiski.connectors.email import compose

    at = datetime(2025, 6, 12, 6, 15, tzinfo=UTC)
    root = compose.new_thread_index_root(at, b"ticket-1")
    assert len(bytes.fromhex(root)) == 22 and root.startswith("01")
    assert compose.new_thread_index_root(at, b"ticket-1") == root
    assert compose.new_thread_index_root(at, b"ticket-2")[12:] != root[12:]


def test_thread_topic_drops_reply_prefixes_and_our_reference():
    from tiski.connectors.email import compose

    assert compose.thread_topic("Re: VS: Tilauksen toimituspäivä [#1042]") == (
        "Tilauksen toimituspäivä"
    )
    assert compose.thread_topic("[#7] Re: Lasku") == "Lasku"


def test_reply_continues_the_customers_outlook_conversation(
    agent_client, email_ticket, smtp_server
):
    """Our reply carries the customer's root + 5 bytes and the topic; the root is stored."""
    from tiski.connectors.email.parse import thread_index_root

    first = email_ticket.messages.get(kind=MessageKind.CUSTOMER)
    # What the intake stores for a customer mail with a Thread-Index.
    Message.objects.filter(pk=first.pk).update(thread_index_root=CUSTOMER_ROOT)
    post_reply(agent_client, email_ticket)
    sent = smtp_server.received[0].message
    data = _index_bytes(sent["Thread-Index"])
    assert len(data) == 27 and data[:22].hex() == CUSTOMER_ROOT
    assert sent["Thread-Topic"] == "Kysymys tilauksesta"
    reply = email_ticket.messages.get(kind=MessageKind.PUBLIC)
    assert reply.thread_index_root == CUSTOMER_ROOT == thread_index_root(sent["Thread-Index"])


def test_ticket_without_a_conversation_gets_one_root_for_all_its_mail(
    agent_client, email_ticket, smtp_server, smtp_mailbox, make_ticket
):
    """Every mail about a ticket shares one root; Outlook's answer to it threads by it."""
    post_reply(agent_client, email_ticket)
    post_reply(agent_client, email_ticket, text="Vielä tarkennus.")
    first, second = (r.message for r in smtp_server.received)
    root = _index_bytes(first["Thread-Index"])[:22]
    assert _index_bytes(second["Thread-Index"])[:22] == root
    assert first["Thread-Index"] != second["Thread-Index"]
    other = make_ticket()
    row = outbox.queue_email(
        ticket=other,
        to=["x@example.com"],
        subject="Hei",
        text="Hei",
        kind="reply",
        automatic=False,
        mailbox=smtp_mailbox,
    )
    assert _index_bytes(outbound.build_message(row).extra_headers["Thread-Index"])[:22] != root

    # Maija answers from Outlook, which dropped In-Reply-To and References.
    thread_index = base64.b64encode(_index_bytes(second["Thread-Index"]) + b"\x00\x11\x22\x33\x40")
    answer = customer_mail(
        subject="VS: Kysymys tilauksesta",
        message_id="outlook-answer@example.com",
        extra=f"Thread-Topic: Kysymys tilauksesta\r\nThread-Index: {thread_index.decode()}\r\n",
        body="Kiitos!",
    )
    result = receive(smtp_mailbox, answer)
    assert result.outcome == Outcome.THREADED and result.receipt.ticket_id == email_ticket.pk
    assert result.receipt.message.meta["threading"]["reason"] == "thread_index"
    # The same conversation forwarded to someone else is their own new matter.
    stranger = customer_mail(
        sender="kolmas@muualla.fi",
        subject="VS: Kysymys tilauksesta",
        message_id="outlook-forward@example.com",
        extra=f"Thread-Index: {thread_index.decode()}\r\n",
    )
    assert receive(smtp_mailbox, stranger).outcome == Outcome.CREATED


# --- a batch of rows in one Celery message -------------------------------------------------


def test_a_batch_of_automatic_mail_goes_to_the_workers_a_few_rows_a_message(
    smtp_mailbox, make_ticket, make_contact, monkeypatch
):
    """With workers (tasks not in place) rows queued together are handed over
    `SEND_PER_MESSAGE` to a message of the list task, in order; each row is
    still claimed and sent on its own, and the one-row task still sends."""
    monkeypatch.setattr(sending, "runs_in_place", lambda: False)
    monkeypatch.setattr(outbox, "SEND_PER_MESSAGE", 2)
    handed: list[tuple[str, list]] = []
    monkeypatch.setattr(sending, "enqueue_tasks", lambda name, calls: handed.append((name, calls)))
    tickets = [make_ticket(requester=make_contact(f"asiakas{i}@example.com")) for i in range(5)]
    rows = outbox.queue_automatic_emails(
        [
            outbox.AutomaticEmail(
                ticket=t, to=[f"asiakas{i}@example.com"], subject="Hei", text="Hei", kind="rule"
            )
            for i, t in enumerate(tickets)
        ]
    )
    ids = [row.pk for row in rows]
    assert handed == [
        (outbox.SEND_MANY_TASK, [([ids[0], ids[1]],), ([ids[2], ids[3]],), ([ids[4]],)])
    ]

    def failing_once(outbound_id: int, real=outbound.send_outbound) -> str:
        if outbound_id == ids[1]:
            raise RuntimeError("the database went away for a moment")
        return real(outbound_id)

    monkeypatch.setattr(outbound, "send_outbound", failing_once)
    assert connector_tasks.send_outbound_many(ids[:4]) == ["sent", "error", "sent", "sent"]
    monkeypatch.undo()
    assert connector_tasks.send_outbound_many(ids[:4]) == ["unchanged", "sent"] + ["unchanged"] * 2
    assert connector_tasks.send_outbound(ids[4]) == "sent"
    assert set(OutboundEmail.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        OutboundStatus.SENT
    }


def test_rows_queued_one_at_a_time_keep_the_one_row_task(monkeypatch):
    monkeypatch.setattr(sending, "runs_in_place", lambda: False)
    handed: list[tuple[str, list]] = []
    monkeypatch.setattr(sending, "enqueue_tasks", lambda name, calls: handed.append((name, calls)))
    sending.enqueue_many(outbox.SEND_TASK, [7, 8])
    assert handed == [(outbox.SEND_TASK, [(7,), (8,)])]
