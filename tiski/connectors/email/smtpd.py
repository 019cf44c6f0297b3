"""`tiski smtpd`: an SMTP or LMTP receiver for mail routed straight to Tiski.

A mail server (Postfix, Exim, a relay of the company's provider) hands mail
for our addresses to this listener. For every recipient that is one of our
active mailboxes (``tuki+<token>@`` counts as ``tuki@``), the message is
stored as a receipt and committed *before* the 250 reply, so a message the
sender was told we took is never lost. A failure to store answers 451 and
the sender retries; the receipt key makes the retry harmless.

Receipt key: ``<mailbox id>:<sha256 of the bytes as received>``, one receipt
per mailbox. The same delivery retried by the sender has the same bytes and
stores nothing new. The same mail to two of our mailboxes gives two receipts
(each mailbox saw it, which the admin can trace), and processing the second
finds the Message-ID already stored and marks it a duplicate: one ticket.

Size: the server advertises SIZE with the largest limit of any active
mailbox (refreshed every minute); a MAIL FROM declaring more, or a message
growing past it during DATA, gets 552 without being kept in memory.
Per mailbox, a recipient whose mailbox allows less gets 552 at RCPT (when
SIZE was declared) or at the end of DATA.

No AUTH and no STARTTLS: the listener binds to 127.0.0.1 by default and is
meant to sit behind the organisation's MTA on the same host or a trusted
network, like an LMTP socket of Dovecot or Cyrus.

Database work runs in a small thread pool, never on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, TypeVar

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections
from django.db.models import Max

from tiski.connectors.models import DEFAULT_MAX_MESSAGE_BYTES, Mailbox

from .intake import accept

log = logging.getLogger(__name__)

SOURCE = "smtp"
LIMIT_REFRESH_SECONDS = 60.0
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """A recipient address resolved to one of our mailboxes."""

    mailbox_id: int
    address: str  # as the sender gave it (may carry +token)
    limit: int


# --- synchronous parts (run in the thread pool) --------------------------------


def find_mailbox(address: str) -> Target | None:
    """The active mailbox an envelope recipient belongs to, plus-addressing included."""
    address = address.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return None
    candidates = {address, f"{local.split('+', 1)[0]}@{domain}"}
    mailbox = Mailbox.objects.filter(active=True, address__in=candidates).order_by("pk").first()
    if mailbox is None:
        return None
    return Target(mailbox.pk, address, mailbox.max_raw_bytes)


def largest_limit() -> int:
    """The SIZE to advertise: the most any active mailbox accepts."""
    return (
        Mailbox.objects.filter(active=True).aggregate(m=Max("max_message_bytes"))["m"]
        or DEFAULT_MAX_MESSAGE_BYTES
    ) * 4 // 3 + 1024 * 1024  # as Mailbox.max_raw_bytes


def receipt_key(mailbox_id: int, raw: bytes) -> str:
    return f"{mailbox_id}:{hashlib.sha256(raw).hexdigest()}"


def _trace(target: Target, session: Session, envelope: Envelope) -> bytes:
    # What a delivering MTA adds: who it was for (the +token may exist only
    # in the envelope, e.g. on a Bcc), the return path (empty for bounces)
    # and a Received line for whoever reads the raw message later.
    peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
    helo = (session.host_name or "unknown").replace("\r", "").replace("\n", "")
    lines = [
        f"Return-Path: <{envelope.mail_from or ''}>",
        f"Delivered-To: {target.address}",
        f"Received: from {helo} ([{peer}]) by tiski-smtpd for <{target.address}>; "
        f"{formatdate(localtime=False, usegmt=True)}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "replace")


def store(target: Target, raw: bytes, trace: bytes) -> int:
    """Commit a receipt for one mailbox; its id. Called before answering 250."""
    # The key covers the bytes as the sender sent them, not our trace lines
    # (which carry a time): a retried delivery dedupes.
    mailbox = Mailbox.objects.get(pk=target.mailbox_id)
    receipt, _created = accept(
        source=SOURCE, key=receipt_key(mailbox.pk, raw), raw=trace + raw, mailbox=mailbox
    )
    return receipt.pk


# --- the aiosmtpd handler ------------------------------------------------------------


def _declared_size(options: list[str]) -> int | None:
    for option in options:
        name, _eq, value = option.partition("=")
        if name.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


class Receiver:
    """aiosmtpd handler: RCPT checks our mailboxes, DATA stores before replying."""

    def __init__(self, *, lmtp: bool = False, workers: int = 4) -> None:
        self.lmtp = lmtp
        self.limit = DEFAULT_MAX_MESSAGE_BYTES * 4 // 3 + 1024 * 1024
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tiski-smtpd")

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking (database) work in the pool, keeping the loop free."""

        def call() -> T:
            close_old_connections()
            try:
                return func(*args)
            finally:
                close_old_connections()

        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def refresh_limit(self) -> None:
        try:
            self.limit = await self.run(largest_limit)
        except Exception:  # noqa: BLE001 - keep the last known limit
            log.exception("Could not read the mailbox size limits")

    def protocol(self) -> SMTP:
        cls = LMTP if self.lmtp else SMTP
        return cls(
            self,
            data_size_limit=self.limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=socket.getfqdn(),
            ident="Tiski",
        )

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            target = await self.run(find_mailbox, address)
        except Exception:  # noqa: BLE001 - the database is away: let the sender retry
            log.exception("Recipient lookup failed for %s", address)
            return "451 4.3.0 Temporary failure, try again later"
        if target is None:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        declared = _declared_size(envelope.mail_options)
        if declared is not None and declared > target.limit:
            return "552 5.3.4 Message too big for this mailbox"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        targets: list[Target] = getattr(envelope, "tiski_targets", [])
        targets.append(target)
        envelope.tiski_targets = targets  # type: ignore[attr-defined]
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(envelope.content, bytes) and not raw:
            raw = envelope.content
        targets: list[Target] = getattr(envelope, "tiski_targets", [])
        # One receipt per mailbox, even when tuki@ and tuki+token@ both got it;
        # the first address of a mailbox that carries a +token wins, so the
        # trace line keeps the token.
        per_mailbox: dict[int, Target] = {}
        for target in targets:
            known = per_mailbox.get(target.mailbox_id)
            if known is None or ("+" in target.address and "+" not in known.address):
                per_mailbox[target.mailbox_id] = target
        outcome: dict[int, str] = {}
        for mailbox_id, target in per_mailbox.items():
            if len(raw) > target.limit:
                outcome[mailbox_id] = "552 5.3.4 Message too big for this mailbox"
                continue
            try:
                receipt_id = await self.run(store, target, raw, _trace(target, session, envelope))
            except Exception:  # noqa: BLE001 - not stored: the sender must retry
                log.exception("Storing mail for %s failed", target.address)
                outcome[mailbox_id] = "451 4.3.0 Could not store the message, try again later"
            else:
                outcome[mailbox_id] = f"250 2.0.0 OK: stored as receipt {receipt_id}"
        if self.lmtp:
            # LMTP: one reply per accepted RCPT, in order (RFC 2033).
            return "\r\n".join(outcome[t.mailbox_id] for t in targets)
        replies = set(outcome.values())
        if all(r.startswith("250") for r in replies):
            return "250 2.0.0 OK"
        # One SMTP reply covers every recipient: a temporary failure for any
        # of them makes the sender retry all (the stored ones dedupe).
        if any(r.startswith("451") for r in replies):
            return "451 4.3.0 Could not store the message, try again later"
        return "552 5.3.4 Message too big for this mailbox"


# --- running ---------------------------------------------------------------------


async def serve_async(
    host: str,
    port: int,
    *,
    lmtp: bool = False,
    stop: asyncio.Event | threading.Event | None = None,
    ready: Callable[[int], None] | None = None,
) -> None:
    """Listen until ``stop`` is set; ``ready(port)`` once listening (port 0 picks one)."""
    receiver = Receiver(lmtp=lmtp)
    await receiver.refresh_limit()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(receiver.protocol, host=host, port=port)
    bound = server.sockets[0].getsockname()[1]
    log.info("tiski smtpd (%s) listening on %s:%s", "LMTP" if lmtp else "SMTP", host, bound)
    if ready is not None:
        ready(bound)
    try:
        waited = 0.0
        while not (stop is not None and stop.is_set()):
            await asyncio.sleep(0.2)
            waited += 0.2
            if waited >= LIMIT_REFRESH_SECONDS:
                waited = 0.0
                await receiver.refresh_limit()
    finally:
        server.close()
        await server.wait_closed()
        receiver.executor.shutdown(wait=True)


@dataclass
class Running:
    """A receiver running in a background thread (tests, `tiski run`)."""

    thread: threading.Thread
    stop_event: threading.Event
    port: int

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=30)


def start_in_thread(host: str = "127.0.0.1", port: int = 0, *, lmtp: bool = False) -> Running:
    stop = threading.Event()
    started = threading.Event()
    bound: list[int] = []
    failure: list[BaseException] = []

    def on_ready(value: int) -> None:
        bound.append(value)
        started.set()

    def main() -> None:
        from django.db import connection

        try:
            asyncio.run(serve_async(host, port, lmtp=lmtp, stop=stop, ready=on_ready))
        except BaseException as exc:  # noqa: BLE001 - reported to the starter below
            failure.append(exc)
            started.set()
        finally:
            connection.close()

    thread = threading.Thread(target=main, name="tiski-smtpd", daemon=True)
    thread.start()
    started.wait(30)
    if failure:
        raise failure[0]
    if not bound:
        stop.set()
        raise RuntimeError("tiski smtpd did not start")
    return Running(thread, stop, bound[0])
