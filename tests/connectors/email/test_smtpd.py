"""`tiski smtpd`: SMTP and LMTP through smtplib, stored before the 250 reply."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tiski.connectors.email import smtpd
from tiski.connectors.models import InboundReceipt, Mailbox, ReceiptStatus
from tiski.tickets.models import Message, Ticket

from .dovecot import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def mail(message_id: str = "smtp-1@example.fi", to: str = "tuki@tiski.example") -> bytes:
    return (
        f"From: Maija Meikäläinen <maija@example.fi>\r\nTo: {to}\r\n"
        f"Subject: Laskun eräpäivä\r\nMessage-ID: <{message_id}>\r\n"
        f"Date: Mon, 2 Jun 2025 10:00:00 +0300\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Hei, voiko eräpäivää siirtää?\r\n"
    ).encode()


@pytest.fixture
def mailboxes(db):
    return (
        Mailbox.objects.create(address="tuki@tiski.example"),
        Mailbox.objects.create(address="myynti@tiski.example"),
    )


@pytest.fixture
def server(mailboxes):
    running = smtpd.start_in_thread()
    yield running
    running.stop()


@pytest.fixture
def lmtp_server(mailboxes):
    running = smtpd.start_in_thread(lmtp=True)
    yield running
    running.stop()


def test_accepted_mail_becomes_a_ticket(server, monkeypatch):
    """The receipt is committed before the 250: by the reply it exists, and a ticket follows."""
    stored_before_reply = []
    real_store = smtpd.store

    def spy(target, raw, trace):
        receipt_id = real_store(target, raw, trace)
        stored_before_reply.append(InboundReceipt.objects.filter(pk=receipt_id).exists())
        return receipt_id

    monkeypatch.setattr(smtpd, "store", spy)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        assert "size" in client.esmtp_features or client.ehlo()[0] == 250
        client.sendmail("maija@example.fi", ["tuki@tiski.example"], mail())
    assert stored_before_reply == [True]
    receipt = InboundReceipt.objects.get()
    assert receipt.source == "smtp" and receipt.status == ReceiptStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.subject == "Laskun eräpäivä"
    with receipt.raw.open("rb") as handle:
        stored = handle.read()
    assert stored.startswith(b"Return-Path: <maija@example.fi>\r\nDelivered-To: tuki@tiski.example")


def test_unknown_recipient_is_refused_with_550(server):
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.ehlo()
        client.mail("maija@example.fi")
        code, _msg = client.rcpt("nobody@tiski.example")
        assert code == 550
        assert client.rcpt("myynti+abc@tiski.example")[0] == 250  # plus-addressing
    Mailbox.objects.filter(address="myynti@tiski.example").update(active=False)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("maija@example.fi", ["myynti@tiski.example"], mail())
    assert not InboundReceipt.objects.exists()


def test_same_mail_to_two_mailboxes_makes_one_ticket_and_retries_dedupe(server):
    """Two receipts (one per mailbox), one ticket; the sender's retry stores nothing new."""
    raw = mail(to="tuki@tiski.example, myynti@tiski.example")
    for _attempt in range(2):
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.sendmail(
                "maija@example.fi",
                ["tuki@tiski.example", "myynti@tiski.example", "tuki+x@tiski.example"],
                raw,
            )
    assert InboundReceipt.objects.count() == 2
    statuses = sorted(InboundReceipt.objects.values_list("status", flat=True))
    assert statuses == ["duplicate", "processed"]
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1


def test_size_limit_per_mailbox(server):
    """SIZE is advertised; a declared or actual size over a mailbox's limit gets 552."""
    Mailbox.objects.filter(address="myynti@tiski.example").update(max_message_bytes=0)
    small_limit = Mailbox.objects.get(address="myynti@tiski.example").max_raw_bytes
    big = mail("big@example.fi") + b"x" * 70 + (b"\r\n" + b"x" * 70) * (small_limit // 70 + 10)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        client.ehlo()
        assert int(client.esmtp_features["size"]) >= 25 * 1024 * 1024
        client.mail("maija@example.fi", [f"SIZE={len(big)}"])
        assert client.rcpt("myynti@tiski.example")[0] == 552
        assert client.rcpt("tuki@tiski.example")[0] == 250
        client.rset()
        # Not declared (smtplib's sendmail would declare it): refused after DATA.
        client.mail("maija@example.fi")
        assert client.rcpt("myynti@tiski.example")[0] == 250
        assert client.data(big)[0] == 552
    assert not InboundReceipt.objects.exists()


def test_lmtp_answers_per_recipient(lmtp_server, mailboxes):
    """LMTP: one reply per accepted recipient; one too small for the message gets 552."""
    Mailbox.objects.filter(address="myynti@tiski.example").update(max_message_bytes=0)
    limit = Mailbox.objects.get(address="myynti@tiski.example").max_raw_bytes
    big = mail("lmtp-big@example.fi") + (b"y" * 70 + b"\r\n") * (limit // 72 + 10)
    client = smtplib.LMTP("127.0.0.1", lmtp_server.port, timeout=10)
    try:
        client.ehlo_or_helo_if_needed()
        client.mail("maija@example.fi")
        assert client.rcpt("tuki@tiski.example")[0] == 250
        assert client.rcpt("nobody@tiski.example")[0] == 550
        assert client.rcpt("myynti@tiski.example")[0] == 250
        code, _msg = client.docmd("DATA")
        assert code == 354
        client.send(big.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
        replies = [client.getreply(), client.getreply()]
    finally:
        client.close()
    assert [code for code, _text in replies] == [250, 552]
    assert [r.mailbox.address for r in InboundReceipt.objects.all()] == ["tuki@tiski.example"]
    assert Ticket.objects.count() == 1


def test_store_failure_answers_451_and_keeps_nothing_half_done(server, monkeypatch):
    def broken(*args):
        raise RuntimeError("database away")

    monkeypatch.setattr(smtpd, "store", broken)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("maija@example.fi", ["tuki@tiski.example"], mail())
    assert refused.value.smtp_code == 451


def test_command_starts_and_stops(tmp_path):
    """`tiski smtpd --port N` listens and exits on SIGTERM."""
    env = dict(os.environ, TISKI_DATA_DIR=str(tmp_path), DATABASE_URL="")
    env.pop("DATABASE_URL")
    port = free_port()
    root = Path(__file__).resolve().parents[3]
    subprocess.run(
        [sys.executable, "-m", "tiski.cli", "migrate", "-v0"], cwd=root, env=env, check=True
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "tiski.cli", "smtpd", "--port", str(port), "--lmtp"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client = smtplib.LMTP("127.0.0.1", port, timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("tiski smtpd did not listen")
        assert client.ehlo_or_helo_if_needed() is None
        client.mail("a@example.fi")
        assert client.rcpt("nobody@tiski.example")[0] == 550
        client.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
