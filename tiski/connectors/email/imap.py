"""IMAP intake: poll (or IDLE on) a mailbox folder and accept what is new.

For each message, in UID order:

1. ``accept()`` stores the raw bytes as a receipt keyed
   ``<mailbox id>:<folder>:<UIDVALIDITY>:<UID>`` and commits it;
2. only then is the message acknowledged on the server (flagged \\Seen, or
   moved to the mailbox's done folder);
3. then ``ImapState.last_uid`` moves forward.

A crash anywhere re-fetches at most the current batch on the next run and
the receipt keys drop the repeats; a crash between 2 and 3 only means the
acknowledgement is repeated. Doing the acknowledgement before the state
update means no message is ever left behind unflagged or unmoved with the
state already past it. Messages are read with BODY.PEEK[] so reading never
marks anything seen by itself, and an oversized message is quarantined from
its RFC822.SIZE without downloading it.

Everything here must run outside ``transaction.atomic()``: each receipt is
committed on its own before the server hears about it.
"""

from __future__ import annotations

import importlib
import logging
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import close_old_connections
from django.utils import timezone
from imapclient import IMAPClient, SocketTimeout

from tiski.connectors.models import ImapState, InboundMethod, Mailbox, ReceiptStatus
from tiski.core.secrets import resolve

from .intake import accept, enqueue

log = logging.getLogger(__name__)

SOURCE = "imap"
CONNECT_TIMEOUT = 20.0
READ_TIMEOUT = 120.0
# Small batches keep memory flat and bound what a crash re-fetches.
BATCH_MESSAGES = 10
BATCH_BYTES = 20 * 1024 * 1024
# RFC 2177: servers may drop an IDLE after 30 minutes; renew well before.
IDLE_RENEW_SECONDS = 25 * 60
POLL_INTERVAL_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 300.0

# Stored in English like intake's reasons: read by admins and support
# engineers, independent of the language a worker runs in.
REASON_NOT_DOWNLOADED = (
    "Message is %(size)d bytes, over the mailbox limit of %(limit)d; not downloaded. "
    "It is still on the IMAP server: folder %(folder)s, UIDVALIDITY %(uidvalidity)d, "
    "UID %(uid)d."
)


@dataclass
class PollResult:
    """What one pass over a mailbox folder did."""

    mailbox: str
    folder: str = ""
    fetched: int = 0  # downloaded and accepted (new receipts)
    already_had: int = 0  # downloaded again, receipt existed (an earlier crash)
    quarantined: int = 0  # over the size limit, not downloaded
    vanished: int = 0  # deleted on the server between SEARCH and FETCH
    more: bool = False  # stopped at max_messages with more waiting
    uidvalidity_reset: bool = False
    error: str = ""
    uids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


# --- the connection (the one patchable point for the network) -------------


def open_connection(mailbox: Mailbox) -> IMAPClient:
    """Connect to the mailbox's server with its security setting; not logged in."""
    context = ssl.create_default_context()
    timeout = SocketTimeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    implicit_tls = mailbox.imap_security == "tls"
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=implicit_tls,
        ssl_context=context if implicit_tls else None,
        timeout=timeout,
    )
    if mailbox.imap_security == "starttls":
        # No silent downgrade: a server without STARTTLS is an error here.
        client.starttls(context)
    return client


def login(client: IMAPClient, mailbox: Mailbox) -> None:
    """Password login, or XOAUTH2 with a fresh token for Microsoft 365 / Google."""
    if mailbox.auth_method != "password":
        # Imported lazily: the OAuth module pulls in HTTP clients that plain
        # password mailboxes never need.
        oauth = importlib.import_module("tiski.connectors.email.oauth")
        client.oauth2_login(mailbox.imap_username, oauth.access_token(mailbox))
        return
    password = resolve(mailbox.imap_password)
    if not (mailbox.imap_username + password).isascii():
        # LOGIN only carries ASCII; SASL PLAIN carries UTF-8 ("salasanä").
        client.plain_login(mailbox.imap_username, password)
        return
    client.login(mailbox.imap_username, password)


@contextmanager
def session(mailbox: Mailbox) -> Iterator[IMAPClient]:
    """A logged-in connection, logged out (or at least closed) afterwards."""
    client = open_connection(mailbox)
    try:
        login(client, mailbox)
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            try:
                client.shutdown()
            except Exception:  # noqa: BLE001
                pass


# --- one pass ---------------------------------------------------------------


def _state(mailbox: Mailbox, folder: str) -> ImapState:
    state, _created = ImapState.objects.get_or_create(mailbox=mailbox, folder=folder)
    return state


def _key(mailbox: Mailbox, folder: str, uidvalidity: int, uid: int) -> str:
    # The folder is part of the key: two folders may share a UIDVALIDITY
    # (Dovecot derives it from the clock), and switching the mailbox to
    # another folder must never make its mail look like duplicates.
    return f"{mailbox.pk}:{folder}:{uidvalidity}:{uid}"


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    """Consecutive runs of UIDs small enough in count and bytes to fetch at once."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= BATCH_MESSAGES or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _new_uids(client: IMAPClient, state: ImapState, initial: bool, moving: bool) -> list[int]:
    if initial and not moving:
        # First look at a folder we leave mail in (or one whose UIDVALIDITY
        # changed): what was read before is history, and what we processed
        # ourselves carries \Seen. Later passes go by UID only, because a
        # person may read a message in a mail client before we poll.
        found = client.search(["UNSEEN"])
    else:
        found = client.search(["UID", f"{state.last_uid + 1}:*"])
    # "n:*" always matches the highest UID, even when it is below n.
    return sorted(uid for uid in found if uid > state.last_uid)


def _advance(state: ImapState, uidvalidity: int, uid: int) -> None:
    # Monotonic and conditional: two pollers of the same mailbox (beat and
    # `tiski run`) may race; the state never moves backwards.
    ImapState.objects.filter(pk=state.pk, uidvalidity=uidvalidity, last_uid__lt=uid).update(
        last_uid=uid
    )
    state.last_uid = max(state.last_uid, uid)


def _acknowledge(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    """Mark accepted messages done on the server: \\Seen, or moved away."""
    if not uids:
        return
    done = mailbox.imap_done_folder.strip()
    if not done:
        client.add_flags(uids, [b"\\Seen"], silent=True)
        return
    if client.has_capability("MOVE"):
        client.move(uids, done)
        return
    client.copy(uids, done)
    client.add_flags(uids, [b"\\Deleted"], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        # Without UIDPLUS an EXPUNGE also removes what others flagged
        # \Deleted in this folder; that is what deleting means there too.
        client.expunge()


def _ensure_folder(client: IMAPClient, folder: str) -> None:
    if folder and not client.folder_exists(folder):
        client.create_folder(folder)


def _quarantine_unfetched(
    mailbox: Mailbox, folder: str, uidvalidity: int, uid: int, size: int
) -> bool:
    """A receipt for a message we will not download; True when it is new."""
    reason = REASON_NOT_DOWNLOADED % {
        "size": size,
        "limit": mailbox.max_raw_bytes,
        "folder": folder,
        "uidvalidity": uidvalidity,
        "uid": uid,
    }
    # The stored "raw" is a short note, so the receipt (and a re-process,
    # which quarantines again on the recorded size) says what happened.
    note = (
        f"X-Tiski-Not-Downloaded: imap; folder={folder}; uidvalidity={uidvalidity}; uid={uid}\r\n"
        f"X-Tiski-Size: {size}\r\n\r\n{reason}\r\n"
    ).encode()
    _receipt, created = accept(
        source=SOURCE,
        key=_key(mailbox, folder, uidvalidity, uid),
        raw=note,
        mailbox=mailbox,
        size=size,
        quarantine=reason,
    )
    return created


def poll_connected(client: IMAPClient, mailbox: Mailbox, *, max_messages: int = 200) -> PollResult:
    """One pass over the mailbox's folder on a logged-in connection."""
    folder = mailbox.imap_folder or "INBOX"
    result = PollResult(mailbox=mailbox.address, folder=folder)
    state = _state(mailbox, folder)
    selected = client.select_folder(folder)
    uidvalidity = int(selected[b"UIDVALIDITY"])
    initial = state.uidvalidity != uidvalidity
    if initial:
        # UIDs of the old validity mean nothing now. Old receipts keep their
        # old keys, so nothing collides; mail fetched again is dropped at
        # the Message-ID step of processing.
        result.uidvalidity_reset = state.uidvalidity is not None
        ImapState.objects.filter(pk=state.pk).update(uidvalidity=uidvalidity, last_uid=0)
        state.uidvalidity, state.last_uid = uidvalidity, 0
        if result.uidvalidity_reset:
            log.warning("%s %s: UIDVALIDITY changed, starting over", mailbox, folder)

    moving = bool(mailbox.imap_done_folder.strip())
    uids = _new_uids(client, state, initial, moving)
    # The first pass of a folder we leave mail in takes every unseen message
    # at once: after it, the state jumps past the read history (below), so a
    # later pass must not have unseen ones still waiting under it.
    if len(uids) > max_messages and not (initial and not moving):
        uids, result.more = uids[:max_messages], True
    if not uids:
        if initial and not moving:
            _skip_history(client, state, selected, uidvalidity)
        return result
    if moving:
        _ensure_folder(client, mailbox.imap_done_folder.strip())

    # Sizes first: what is over the limit is never downloaded.
    sizes: dict[int, int] = {}
    for chunk in _chunks(uids, 500):
        for uid, data in client.fetch(chunk, ["RFC822.SIZE"]).items():
            sizes[uid] = int(data.get(b"RFC822.SIZE", 0))
    limit = mailbox.max_raw_bytes

    for batch in _batches(uids, sizes):
        wanted = [uid for uid in batch if uid in sizes and sizes[uid] <= limit]
        bodies = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
        accepted: list[int] = []
        for uid in batch:
            if uid not in sizes:
                result.vanished += 1  # expunged by someone else since SEARCH
                continue
            if sizes[uid] > limit:
                if _quarantine_unfetched(mailbox, folder, uidvalidity, uid, sizes[uid]):
                    result.quarantined += 1
                # Left untouched on the server, unread, for a person to see.
                continue
            raw = bodies.get(uid, {}).get(b"BODY[]")
            if raw is None:
                result.vanished += 1
                continue
            receipt, created = accept(
                source=SOURCE,
                key=_key(mailbox, folder, uidvalidity, uid),
                raw=bytes(raw),
                mailbox=mailbox,
            )
            if created:
                result.fetched += 1
            else:
                result.already_had += 1
                if receipt.status == ReceiptStatus.PENDING:
                    # Stored before a crash and perhaps never handed to a
                    # worker; processing is idempotent, so hand it again.
                    enqueue(receipt.pk)
            accepted.append(uid)
            result.uids.append(uid)
        # Every receipt of the batch is committed: now the server may know.
        _acknowledge(client, mailbox, accepted)
        _advance(state, uidvalidity, batch[-1])
    if initial and not moving:
        _skip_history(client, state, selected, uidvalidity)
    return result


def _skip_history(client: IMAPClient, state: ImapState, selected: dict, uidvalidity: int) -> None:
    """After a first pass by \\Seen, move the state past the mail already read."""
    uidnext = selected.get(b"UIDNEXT")
    if uidnext:
        _advance(state, uidvalidity, int(uidnext) - 1)
        return
    everything = client.search(["ALL"]) if selected.get(b"EXISTS") else []  # UIDs
    if everything:
        _advance(state, uidvalidity, max(everything))


def _record(mailbox: Mailbox, folder: str, error: str) -> None:
    now = timezone.now()
    fields: dict = {"last_polled_at": now}
    if error:
        fields.update(last_error=error[:2000], last_error_at=now)
    else:
        fields["last_error"] = ""
    updated = ImapState.objects.filter(mailbox=mailbox, folder=folder).update(**fields)
    if not updated:
        ImapState.objects.create(mailbox=mailbox, folder=folder, **fields)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, TimeoutError):
        text = text or "timed out"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def poll_mailbox(mailbox_id: int, *, max_messages: int = 200) -> PollResult:
    """Connect, log in and take what is new; errors land in ImapState.last_error."""
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    folder = mailbox.imap_folder or "INBOX"
    try:
        with session(mailbox) as client:
            result = poll_connected(client, mailbox, max_messages=max_messages)
    except Exception as exc:  # noqa: BLE001 - recorded for the admin; other mailboxes go on
        log.warning("IMAP poll of %s failed: %s", mailbox, exc, exc_info=True)
        result = PollResult(mailbox=mailbox.address, folder=folder, error=_describe(exc))
    _record(mailbox, folder, result.error)
    return result


def imap_mailboxes() -> Iterable[Mailbox]:
    return Mailbox.objects.filter(active=True, inbound_method=InboundMethod.IMAP).order_by("pk")


def poll_all(*, max_messages: int = 200) -> list[PollResult]:
    """One pass over every active IMAP mailbox; one failure never stops the rest."""
    results = []
    for mailbox in imap_mailboxes():
        try:
            results.append(poll_mailbox(mailbox.pk, max_messages=max_messages))
        except Exception as exc:  # noqa: BLE001 - e.g. the database hiccuped for one
            log.exception("IMAP poll of %s failed", mailbox)
            results.append(PollResult(mailbox=mailbox.address, error=_describe(exc)))
    return results


# --- long-running: IDLE, or polling where IDLE is not offered ------------------


def _wait_for_news(
    client: IMAPClient, stop_event: threading.Event, renew_after: float, check_every: float
) -> None:
    """IDLE until the server reports a change, the renewal time or a stop."""
    client.idle()
    started = time.monotonic()
    try:
        while not stop_event.is_set() and time.monotonic() - started < renew_after:
            responses = client.idle_check(timeout=check_every)
            # EXISTS/RECENT: new mail; EXPUNGE or FETCH: changes worth a look.
            # A server BYE shows up here too; the next command then fails and
            # the loop reconnects.
            if any(
                len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT", b"BYE")
                for r in responses
                if isinstance(r, tuple)
            ):
                break
    finally:
        try:
            client.idle_done()
        finally:
            # idle_check leaves the socket blocking without a timeout.
            client.socket().settimeout(READ_TIMEOUT)


def _arrived_since(client: IMAPClient, mailbox: Mailbox) -> bool:
    """Whether the folder got a UID beyond the state since the last pass."""
    folder = mailbox.imap_folder or "INBOX"
    uidnext = client.folder_status(folder, [b"UIDNEXT"]).get(b"UIDNEXT")
    last_uid = (
        ImapState.objects.filter(mailbox=mailbox, folder=folder)
        .values_list("last_uid", flat=True)
        .first()
    )
    return uidnext is not None and last_uid is not None and int(uidnext) - 1 > last_uid


def _settings_key(mailbox: Mailbox) -> tuple:
    return (
        mailbox.active,
        mailbox.inbound_method,
        mailbox.imap_host,
        mailbox.imap_port,
        mailbox.imap_security,
        mailbox.imap_username,
        mailbox.imap_password,
        mailbox.imap_folder,
        mailbox.imap_done_folder,
        mailbox.imap_idle,
        mailbox.auth_method,
    )


def idle_loop(
    mailbox_id: int,
    stop_event: threading.Event,
    *,
    idle: bool = True,
    poll_interval: float = POLL_INTERVAL_SECONDS,
    renew_after: float = IDLE_RENEW_SECONDS,
    check_every: float = 1.0,
) -> None:
    """Keep one mailbox up to date until stop_event is set.

    Holds a connection and IDLEs when the server offers IDLE (and the
    mailbox and ``idle`` allow it), otherwise polls every poll_interval
    seconds. Errors are recorded and retried with a growing pause; the loop
    ends by itself when the mailbox is deleted, deactivated or no longer
    reads IMAP.
    """
    backoff = 5.0
    while not stop_event.is_set():
        close_old_connections()
        mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
        if mailbox is None or not mailbox.active or mailbox.inbound_method != InboundMethod.IMAP:
            return
        folder = mailbox.imap_folder or "INBOX"
        settings_seen = _settings_key(mailbox)
        try:
            with session(mailbox) as client:
                use_idle = idle and mailbox.imap_idle and client.has_capability("IDLE")
                rechecked = False
                while not stop_event.is_set():
                    result = poll_connected(client, mailbox)
                    _record(mailbox, folder, "")
                    backoff = 5.0
                    if result.more:
                        continue  # drain a backlog before waiting
                    progress = bool(result.uids or result.quarantined)
                    if use_idle and (progress or not rechecked) and _arrived_since(client, mailbox):
                        # Mail that came during the pass was announced in the
                        # replies to our own commands, and IDLE will not
                        # announce it again: take it now.
                        rechecked = True
                        continue
                    rechecked = False
                    if use_idle:
                        _wait_for_news(client, stop_event, renew_after, check_every)
                    else:
                        stop_event.wait(poll_interval)
                    close_old_connections()
                    mailbox.refresh_from_db()
                    if _settings_key(mailbox) != settings_seen:
                        break  # reconnect with the new settings
        except Mailbox.DoesNotExist:
            return
        except Exception as exc:  # noqa: BLE001 - recorded; retried after a pause
            log.warning("IMAP loop of mailbox %s failed: %s", mailbox_id, exc, exc_info=True)
            try:
                _record(mailbox, folder, _describe(exc))
            except Exception:  # noqa: BLE001 - the database may be what failed
                log.exception("Could not record the IMAP error of mailbox %s", mailbox_id)
            stop_event.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
    close_old_connections()


def run_forever(
    stop_event: threading.Event,
    *,
    idle: bool = True,
    poll_interval: float = POLL_INTERVAL_SECONDS,
    rescan_every: float = 60.0,
    addresses: list[str] | None = None,
) -> None:
    """One thread per active IMAP mailbox until stop_event is set.

    The list of mailboxes is read again every rescan_every seconds, so a
    mailbox added in the admin starts without a restart (and a deleted or
    deactivated one stops by itself). `tiski imap-poll` and `tiski run`
    both call this.
    """
    threads: dict[int, tuple[threading.Thread, threading.Event]] = {}
    try:
        while not stop_event.is_set():
            close_old_connections()
            wanted = imap_mailboxes()
            if addresses:
                wanted = wanted.filter(address__in=[a.strip().lower() for a in addresses])
            for mailbox_id in wanted.values_list("pk", flat=True):
                running = threads.get(mailbox_id)
                if running and running[0].is_alive():
                    continue
                own_stop = threading.Event()
                thread = threading.Thread(
                    target=_thread_main,
                    args=(mailbox_id, own_stop),
                    kwargs={"idle": idle, "poll_interval": poll_interval},
                    name=f"tiski-imap-{mailbox_id}",
                    daemon=True,
                )
                thread.start()
                threads[mailbox_id] = (thread, own_stop)
            stop_event.wait(rescan_every)
    finally:
        for _thread, own_stop in threads.values():
            own_stop.set()
        for thread, _own_stop in threads.values():
            thread.join(timeout=READ_TIMEOUT)
        close_old_connections()


def _thread_main(mailbox_id: int, stop_event: threading.Event, **kwargs) -> None:
    from django.db import connection

    try:
        idle_loop(mailbox_id, stop_event, **kwargs)
    except Exception:  # noqa: BLE001 - a thread must not die silently
        log.exception("IMAP thread of mailbox %s stopped", mailbox_id)
    finally:
        connection.close()


__all__ = [
    "PollResult",
    "idle_loop",
    "open_connection",
    "poll_all",
    "poll_connected",
    "poll_mailbox",
    "run_forever",
]
