"""IMAP intake against a real Dovecot: exactly once, acknowledged after commit."""

from __future__ import annotations

import threading
import time
import types
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.utils import translation

from tiski.connectors import tasks
from tiski.connectors.email import imap, intake
from tiski.connectors.models import ImapState, InboundReceipt, Mailbox, ReceiptStatus
from tiski.tickets.models import Message, Ticket

from .dovecot import dovecot  # noqa: F401 - the session fixture

pytestmark = pytest.mark.django_db(transaction=True)


def mail(n: int, *, message_id: str | None = None, body: str = "", subject: str = "") -> bytes:
    body = (
        body or f"Hei,\r\n\r\ntilaukseni {n} ei ole saapunut.\r\n\r\nTerveisin\r\nAsiakas {n}\r\n"
    )
    return (
        f"From: Asiakas {n} <asiakas{n}@example.fi>\r\n"
        f"To: tuki@tiski.example\r\n"
        f"Subject: {subject or f'Tilaus {n}'}\r\n"
        f"Message-ID: <{message_id or f'imap-{n}-{time.time_ns()}@example.fi'}>\r\n"
        f"Date: Mon, 2 Jun 2025 10:00:00 +0300\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
    ).encode()


@pytest.fixture
def imap_mailbox(dovecot):  # noqa: F811
    def make(**fields) -> Mailbox:
        user = dovecot.add_user()
        values = dovecot.mailbox_fields(user) | fields
        box = Mailbox.objects.create(address=f"{user}@tiski.example", **values)
        box.imap_user = user  # for the test's own IMAP connections
        return box

    return make


def flags(dovecot, user: str, folder: str = "INBOX") -> dict[int, tuple]:  # noqa: F811
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()}


def test_poll_turns_new_mail_into_tickets_and_marks_it_seen(dovecot, imap_mailbox):  # noqa: F811
    """New mail becomes tickets; the server marks it seen; a second pass adds nothing."""
    box = imap_mailbox()
    for n in (1, 2):
        dovecot.append(box.imap_user, mail(n))
    result = imap.poll_mailbox(box.pk)
    assert result.ok and result.fetched == 2 and result.uids == [1, 2]
    assert Ticket.objects.count() == 2
    assert set(InboundReceipt.objects.values_list("status", flat=True)) == {"processed"}
    assert all(b"\\Seen" in f for f in flags(dovecot, box.imap_user).values())
    state = ImapState.objects.get(mailbox=box)
    assert state.last_uid == 2 and state.uidvalidity and not state.last_error
    assert imap.poll_mailbox(box.pk).fetched == 0
    assert Ticket.objects.count() == 2


def test_first_pass_skips_mail_already_read_before_tiski_connected(dovecot, imap_mailbox):  # noqa: F811
    """Connecting an old inbox takes the unread mail, not years of read history."""
    box = imap_mailbox()
    dovecot.append(box.imap_user, mail(1))
    with dovecot.client(box.imap_user) as client:
        client.select_folder("INBOX")
        client.add_flags([1], [b"\\Seen"])
    dovecot.deliver_file(box.imap_user, mail(2))  # a local MDA's delivery
    assert imap.poll_mailbox(box.pk).uids == [2]
    dovecot.append(box.imap_user, mail(3))
    assert imap.poll_mailbox(box.pk).uids == [3]
    assert Ticket.objects.count() == 2


def test_server_hears_only_after_the_receipt_is_committed(dovecot, imap_mailbox, monkeypatch):  # noqa: F811
    """At accept time the message is untouched; at acknowledgement its receipt is committed."""
    box = imap_mailbox()
    for n in (1, 2, 3):
        dovecot.append(box.imap_user, mail(n))
    real_accept, real_ack = imap.accept, imap._acknowledge
    seen_at_accept = []

    def spy_accept(**kwargs):
        uid = int(kwargs["key"].rsplit(":", 1)[1])
        seen_at_accept.append(b"\\Seen" in flags(dovecot, box.imap_user)[uid])
        return real_accept(**kwargs)

    def spy_ack(client, mailbox, uids):
        assert not connection.in_atomic_block
        keys = set(InboundReceipt.objects.values_list("key", flat=True))
        assert all(any(k.endswith(f":{uid}") for k in keys) for uid in uids)
        return real_ack(client, mailbox, uids)

    monkeypatch.setattr(imap, "accept", spy_accept)
    monkeypatch.setattr(imap, "_acknowledge", spy_ack)
    assert imap.poll_mailbox(box.pk).fetched == 3
    assert seen_at_accept == [False, False, False]


@pytest.mark.parametrize("has_move", [True, False])
def test_processed_mail_moves_to_the_done_folder(dovecot, imap_mailbox, monkeypatch, has_move):  # noqa: F811
    """MOVE when offered, else COPY + \\Deleted + EXPUNGE; the folder is created."""
    box = imap_mailbox(imap_done_folder="Käsitelty")
    if not has_move:
        real = imap.IMAPClient.has_capability
        monkeypatch.setattr(
            imap.IMAPClient,
            "has_capability",
            lambda self, cap: False if cap.upper() == "MOVE" else real(self, cap),
        )
    for n in (1, 2):
        dovecot.append(box.imap_user, mail(n))
    assert imap.poll_mailbox(box.pk).fetched == 2
    with dovecot.client(box.imap_user) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        assert client.select_folder("Käsitelty")[b"EXISTS"] == 2
    dovecot.append(box.imap_user, mail(3))
    assert imap.poll_mailbox(box.pk).fetched == 1
    assert Ticket.objects.count() == 3


@pytest.mark.parametrize("crash", [KeyboardInterrupt, SystemExit, RuntimeError])
def test_crash_in_the_middle_of_a_batch_loses_and_duplicates_nothing(
    dovecot,  # noqa: F811
    imap_mailbox,
    monkeypatch,
    crash,
):
    """Six messages, a crash after three (the 4th stored but never processed), a restart:
    six tickets, each once, every message acknowledged."""
    box = imap_mailbox()
    ids = [f"crash-{crash.__name__}-{n}@example.fi" for n in range(6)]
    for n, message_id in enumerate(ids):
        dovecot.append(box.imap_user, mail(n, message_id=message_id))
    real_accept = imap.accept
    calls = []

    def dying_accept(**kwargs):
        calls.append(kwargs["key"])
        if len(calls) == 4:
            # Stored and committed, then the process dies before processing.
            real_accept(**kwargs, schedule=False)
            raise crash("killed")
        return real_accept(**kwargs)

    monkeypatch.setattr(imap, "accept", dying_accept)
    if crash is RuntimeError:
        assert "killed" in imap.poll_mailbox(box.pk).error
    else:
        with pytest.raises(crash):
            imap.poll_mailbox(box.pk)
    assert Ticket.objects.count() == 3
    assert InboundReceipt.objects.filter(status=ReceiptStatus.PENDING).count() == 1
    # Nothing was acknowledged: the batch's receipts were not all committed.
    assert not any(b"\\Seen" in f for f in flags(dovecot, box.imap_user).values())
    assert ImapState.objects.get(mailbox=box).last_uid == 0

    monkeypatch.setattr(imap, "accept", real_accept)
    result = imap.poll_mailbox(box.pk)
    assert result.ok and result.fetched == 2 and result.already_had == 4
    assert Ticket.objects.count() == 6
    assert sorted(Message.objects.values_list("external_id", flat=True)) == sorted(ids)
    assert InboundReceipt.objects.count() == 6
    assert set(InboundReceipt.objects.values_list("status", flat=True)) == {"processed"}
    assert all(b"\\Seen" in f for f in flags(dovecot, box.imap_user).values())
    assert ImapState.objects.get(mailbox=box).last_uid == 6


def test_uidvalidity_change_starts_over_without_losing_or_duplicating(dovecot, imap_mailbox):  # noqa: F811
    """A recreated folder restarts UIDs at 1: new mail is still taken, old mail dedupes."""
    box = imap_mailbox(imap_folder="Tuki")
    with dovecot.client(box.imap_user) as client:
        client.create_folder("Tuki")
    for n in (1, 2):
        dovecot.append(box.imap_user, mail(n, message_id=f"uv-{n}@example.fi"), folder="Tuki")
    assert imap.poll_mailbox(box.pk).fetched == 2
    before = ImapState.objects.get(mailbox=box)
    assert before.last_uid == 2

    with dovecot.client(box.imap_user) as client:
        client.delete_folder("Tuki")
        client.create_folder("Tuki")
    # The same UIDs 1 and 2 now hold other mail; 3 is an old message again.
    for n in (3, 4, 1):
        dovecot.append(box.imap_user, mail(n, message_id=f"uv-{n}@example.fi"), folder="Tuki")
    result = imap.poll_mailbox(box.pk)
    assert result.uidvalidity_reset and result.fetched == 3
    after = ImapState.objects.get(mailbox=box)
    assert after.uidvalidity != before.uidvalidity and after.last_uid == 3
    assert Ticket.objects.count() == 4
    assert InboundReceipt.objects.filter(status=ReceiptStatus.DUPLICATE).count() == 1


def test_oversized_message_is_quarantined_without_downloading_it(
    dovecot,  # noqa: F811
    imap_mailbox,
    monkeypatch,
):
    """Its size is read first; the body is never fetched; the receipt says why and which UID."""
    box = imap_mailbox(max_message_bytes=0)  # max_raw_bytes: 1 MiB of slack only
    big = mail(2, body="x" * 76 + "\r\n") + (("y" * 76 + "\r\n") * 20_000).encode()
    for raw in (mail(1), big, mail(3)):
        dovecot.append(box.imap_user, raw)
    requested = []
    real_fetch = imap.IMAPClient.fetch

    def spy_fetch(self, messages, data, modifiers=None):
        requested.append((list(messages), list(data)))
        return real_fetch(self, messages, data, modifiers)

    monkeypatch.setattr(imap.IMAPClient, "fetch", spy_fetch)
    result = imap.poll_mailbox(box.pk)
    assert (result.fetched, result.quarantined) == (2, 1)
    bodies = [uids for uids, items in requested if "BODY.PEEK[]" in items]
    assert bodies and all(2 not in uids for uids in bodies)
    receipt = InboundReceipt.objects.get(status=ReceiptStatus.QUARANTINED)
    assert receipt.size > 1024 * 1024 and receipt.key.endswith(":2")
    assert "not downloaded" in receipt.reason and "UID 2" in receipt.reason
    # Left unread on the server for a person; the others are acknowledged.
    seen = flags(dovecot, box.imap_user)
    assert b"\\Seen" not in seen[2] and b"\\Seen" in seen[1] and b"\\Seen" in seen[3]
    # Dovecot's own count of body bytes it sent us stays far below 1.5 MB.
    time.sleep(0.2)
    sent = [
        int(line.rsplit("body_bytes=", 1)[1].split()[0])
        for line in dovecot.log().splitlines()
        if f"imap({box.imap_user})" in line and "body_bytes=" in line
    ]
    assert sent and max(sent) < 100_000
    # A second pass neither downloads nor records it again.
    assert imap.poll_mailbox(box.pk).quarantined == 0
    assert Ticket.objects.count() == 2


def test_wrong_password_is_recorded_and_other_mailboxes_still_polled(dovecot, imap_mailbox):  # noqa: F811
    """poll_all records the login failure on its mailbox and reads the others."""
    bad = imap_mailbox(imap_password="väärä")
    good = imap_mailbox()
    dovecot.append(good.imap_user, mail(1))
    results = {r.mailbox: r for r in imap.poll_all()}
    assert results[bad.address].error.startswith("LoginError")
    assert results[good.address].fetched == 1
    state = ImapState.objects.get(mailbox=bad)
    assert state.last_error.startswith("LoginError") and state.last_error_at
    assert Ticket.objects.count() == 1
    bad.imap_password = "env:TISKI_TEST_IMAP_PASSWORD"  # read from the environment
    bad.save()
    import os

    os.environ["TISKI_TEST_IMAP_PASSWORD"] = "salasana-123"
    try:
        assert imap.poll_mailbox(bad.pk).ok
    finally:
        del os.environ["TISKI_TEST_IMAP_PASSWORD"]
    assert ImapState.objects.get(mailbox=bad).last_error == ""


def test_unreachable_server_is_an_error_not_a_crash(imap_mailbox):
    box = imap_mailbox(imap_port=1)
    result = imap.poll_mailbox(box.pk)
    assert result.error and ImapState.objects.get(mailbox=box).last_error


def test_idle_wakes_up_on_new_mail(dovecot, imap_mailbox):  # noqa: F811
    """With IDLE the loop takes a message appended from elsewhere within seconds
    (its polling fallback is set to ten minutes, so only IDLE can do it)."""
    box = imap_mailbox()
    stop = threading.Event()
    thread = threading.Thread(
        target=imap._thread_main, args=(box.pk, stop), kwargs={"poll_interval": 600}
    )
    thread.start()
    try:
        _wait_for(lambda: ImapState.objects.filter(mailbox=box, last_polled_at__isnull=False))
        time.sleep(0.3)  # let it enter IDLE
        dovecot.append(box.imap_user, mail(1))
        _wait_for(lambda: Ticket.objects.all())
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert Ticket.objects.count() == 1


def test_loop_polls_when_idle_is_off(dovecot, imap_mailbox):  # noqa: F811
    box = imap_mailbox(imap_idle=False)
    stop = threading.Event()
    thread = threading.Thread(
        target=imap.run_forever, args=(stop,), kwargs={"poll_interval": 0.3, "rescan_every": 0.3}
    )
    thread.start()
    try:
        dovecot.append(box.imap_user, mail(1))
        _wait_for(lambda: Ticket.objects.all())
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()


def _wait_for(query, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if query().exists():
                return
        except OperationalError:
            # SQLite's shared in-memory test database locks whole tables
            # while the poller thread writes; a real file database waits.
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_xoauth2_login_uses_the_oauth_module(monkeypatch):
    """OAuth mailboxes log in with XOAUTH2 and a token from email.oauth.access_token."""
    fake = types.ModuleType("tiski.connectors.email.oauth")
    fake.access_token = lambda mailbox: f"token-for-{mailbox.address}"
    monkeypatch.setitem(__import__("sys").modules, "tiski.connectors.email.oauth", fake)
    calls = []

    class Client:
        def oauth2_login(self, user, token):
            calls.append(("oauth2", user, token))

        def login(self, user, password):
            calls.append(("password", user, password))

    box = Mailbox(address="m365@tiski.example", imap_username="m365@tiski.example")
    box.auth_method = "oauth_microsoft"
    imap.login(Client(), box)
    box.auth_method, box.imap_password = "password", "secret"
    imap.login(Client(), box)
    assert calls == [
        ("oauth2", "m365@tiski.example", "token-for-m365@tiski.example"),
        ("password", "m365@tiski.example", "secret"),
    ]


def test_task_and_command(dovecot, imap_mailbox, settings):  # noqa: F811
    """The beat task polls every mailbox; `tiski imap-poll --once` reports per mailbox."""
    assert settings.CELERY_BEAT_SCHEDULE["imap-poll"]["task"] == tasks.poll_imap.name
    box = imap_mailbox()
    dovecot.append(box.imap_user, mail(1))
    assert tasks.poll_imap.apply().get()["fetched"] == 1
    dovecot.append(box.imap_user, mail(2))
    out = StringIO()
    with translation.override("en"):
        call_command("imap_poll", "--once", "--mailbox", box.address, stdout=out)
    assert f"{box.address}: new: 1" in out.getvalue()
    assert Ticket.objects.count() == 2
    assert intake.sweep_pending() == 0
