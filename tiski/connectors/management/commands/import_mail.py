"""`tiski import-mail PATH --mailbox ADDRESS [--live]`: move an old inbox in.

PATH is one .eml file, a folder of .eml files, an mbox file or a Maildir.
Each message becomes a receipt keyed by the SHA-256 of its bytes, so running
the same import again adds nothing. Messages are processed in the order
they appear. Without --live nothing automatic (acknowledgements, rule mail)
may ever be sent for the imported mail.
"""

from __future__ import annotations

import hashlib
import mailbox as mailboxes
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from tiski.connectors.email.intake import (
    Outcome,
    accept_new,
    process_accepted,
    process_receipt,
)
from tiski.connectors.email.mbox import iter_mbox
from tiski.connectors.email.parse_pool import ParsePool, default_workers
from tiski.connectors.email.raw_writer import RawWriter
from tiski.connectors.models import InboundReceipt, Mailbox, ReceiptStatus
from tiski.core import collector
from tiski.tickets import catch_up_process, changes


def iter_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for every message under path, in order of appearance."""
    if path.is_dir():
        if all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            box = mailboxes.Maildir(str(path), factory=None, create=False)
            # Maildir keeps no order; file names start with the delivery time.
            for key in sorted(box.keys()):
                with box.get_file(key) as handle:
                    yield f"{path}:{key}", handle.read()
            return
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.name.startswith(".") or child.name in ("LICENSE", "README.md"):
                continue
            yield from iter_messages(child)
        return
    with path.open("rb") as handle:
        head = handle.read(5)
    if head == b"From ":
        # Without the "From " line and with ">From " left as the mbox stored
        # it, exactly as mailbox.mbox.get_bytes gives it (the key is its hash).
        for key, raw in iter_mbox(path):
            yield f"{path}#{key}", raw
        return
    yield str(path), path.read_bytes()


# Messages per batch, and per transaction. Each batch costs a few dozen
# statements whatever its size (every table is written once per batch), so
# on a busy database larger batches are faster; the byte limit keeps two
# batches of large mail (the one written and the one parsed meanwhile) well
# inside memory.
BATCH = 500
BATCH_BYTES = 64 << 20
# The first batch is smaller: until it is parsed the importer has nothing to
# write, and the parse worker starts on the second batch only once the first
# is done, so a small one fills the pipeline sooner.
FIRST_BATCH = 100
# From this size on an import is large: parse workers, and the tickets caught
# up by a second process as the import goes (`catch_up_process`).
LARGE_BYTES = 1 << 20


def _at_least(path: Path, size: int) -> bool:
    """Whether the file, or the files under the folder, hold ``size`` bytes or more."""
    if path.is_file():
        return path.stat().st_size >= size
    held = 0
    for child in path.rglob("*"):
        if child.is_file():
            held += child.stat().st_size
            if held >= size:
                return True
    return False


def batches(
    messages: Iterator[tuple[str, bytes]],
    size: int,
    max_bytes: int = BATCH_BYTES,
    first: int | None = None,
) -> Iterator[list[bytes]]:
    """Lists of ``size`` messages (the first of ``first``), cut short where
    they would hold ``max_bytes``."""
    batch: list[bytes] = []
    held = 0
    limit = min(size, first or size)
    for _label, raw in messages:
        batch.append(raw)
        held += len(raw)
        if len(batch) >= limit or held >= max_bytes:
            yield batch
            batch, held, limit = [], 0, size
    if batch:
        yield batch


@dataclass
class _Batch:
    raws: list[bytes]
    keys: list[str]
    # key -> (receipt id, status) of what an earlier run stored already
    known: dict[str, tuple[int, str]]
    parsing: object
    # Per message: True for the first of its key not stored before (it gets a
    # receipt), False for one stored already or seen earlier in the batch.
    fresh: list[bool]
    # The raw files of the fresh messages, being written meanwhile.
    files: list[Future[str]]


class Command(BaseCommand):
    help = _("Import .eml files, an mbox or a Maildir into a mailbox.")
    # The project's checks are for the server (`tiski check`, and every start
    # of it): here they only delayed the first message by most of a second.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("An .eml file, a folder of them, an mbox or a Maildir"))
        parser.add_argument("--mailbox", required=True, help=_("The address the mail came to"))
        parser.add_argument(
            "--live",
            action="store_true",
            help=_("Allow automatic mail (acknowledgements, rules) for it"),
        )
        parser.add_argument(
            "--parse-workers",
            type=int,
            default=None,
            help=_("Parse workers (default: one per spare core; 0: parse in this process)"),
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        # Worker processes pay off over many messages, not for a few.
        small = not _at_least(path, LARGE_BYTES)
        live = options["live"]
        counts: Counter = Counter()
        with ExitStack() as stack:
            # First, before this process opens a connection or starts a
            # thread, so that it can be forked (`catch_up_process.start_method`).
            helper = (
                stack.enter_context(catch_up_process.CatchUpProcess())
                if not (live or small) and catch_up_process.usable()
                else None
            )
            address = options["mailbox"].strip().lower()
            mailbox, _created = Mailbox.objects.get_or_create(address=address)
            workers = options["parse_workers"]
            if workers is None:
                workers = 0 if small else default_workers()
            stack.enter_context(collector.fewer_collections(collector.IMPORT_THRESHOLD))
            pool = stack.enter_context(ParsePool(max(0, workers)))
            self.writer = stack.enter_context(RawWriter())
            if live:
                self._import(path, mailbox, counts, pool, live=True)
            else:
                # Old mail: the ticket-change handlers run once per ticket
                # (SLA, search, report facts), and nothing acts as if it were new.
                self._import_history(path, mailbox, counts, pool, helper)
        counts[Outcome.THREADED] += counts.pop(Outcome.BOUNCE_ATTACHED, 0)
        counts[Outcome.THREADED] += counts.pop(Outcome.AUTO_REPLY_ATTACHED, 0)
        self.stdout.write(
            _(
                "imported: %(created)d, threaded: %(threaded)d, duplicates: %(duplicate)d, "
                "quarantined: %(quarantined)d, bounces without a ticket: %(bounces)d, "
                "automatic replies without a ticket: %(auto_replies)d"
            )
            % {
                "created": counts[Outcome.CREATED],
                "threaded": counts[Outcome.THREADED],
                "duplicate": counts[Outcome.DUPLICATE],
                "quarantined": counts[Outcome.QUARANTINED],
                "bounces": counts[Outcome.BOUNCE_UNMATCHED],
                "auto_replies": counts[Outcome.AUTO_REPLY_UNMATCHED],
            }
        )
        self.counts = counts

    def _import_history(
        self,
        path: Path,
        mailbox: Mailbox,
        counts: Counter,
        pool: ParsePool,
        helper: catch_up_process.CatchUpProcess | None,
    ) -> None:
        """Import with the handlers deferred, then catch the tickets up: a large
        import's batches by a second process as they commit, else all at the end."""
        if helper is None:
            with changes.deferred() as touched:
                self._import(path, mailbox, counts, pool, live=False)
            changes.catch_up(touched)
            return
        every: set[int] = set()
        # The tickets of the batch committed last. They go to the helper when
        # the next batch commits, less those it touched again: these would be
        # caught up twice (mail is answered within days, often in the next
        # batch), and the last batch's are caught up here, beside the helper's
        # backlog, instead of after it.
        held: set[int] = set()
        try:
            with changes.deferred() as touched:

                def hand_over() -> None:
                    helper.submit(held - touched)
                    held.clear()
                    held.update(touched)
                    every.update(touched)
                    touched.clear()

                self._import(path, mailbox, counts, pool, live=False, committed=hand_over)
        finally:
            # After a failed import too: its committed batches are caught up.
            changes.catch_up(held)
        if not helper.finish():
            changes.catch_up(every - held)

    def _start(self, raws: list[bytes], mailbox: Mailbox, pool: ParsePool) -> _Batch:
        """Look the batch's keys up; start parsing the messages not stored yet
        and writing their raw files."""
        keys = [hashlib.sha256(raw).hexdigest() for raw in raws]
        known = {
            key: (pk, status)
            for key, pk, status in InboundReceipt.objects.filter(
                source="import", key__in=keys
            ).values_list("key", "pk", "status")
        }
        seen: set[str] = set()
        fresh = []
        for key in keys:
            fresh.append(key not in known and key not in seen)
            seen.add(key)
        # Oversized mail is quarantined on its size, unparsed.
        wanted = [
            raw if key not in known and len(raw) <= mailbox.max_raw_bytes else None
            for raw, key in zip(raws, keys, strict=True)
        ]
        files = self.writer.submit([raw for raw, new in zip(raws, fresh, strict=True) if new])
        return _Batch(raws, keys, known, pool.submit(wanted), fresh, files)

    def _import(
        self,
        path: Path,
        mailbox: Mailbox,
        counts: Counter,
        pool: ParsePool,
        *,
        live: bool,
        committed: Callable[[], None] | None = None,
    ) -> None:
        source = batches(iter_messages(path), BATCH, first=FIRST_BATCH)
        first = next(source, None)
        current = self._start(first, mailbox, pool) if first else None
        while current is not None:
            # Parse the next batch while this one is written.
            upcoming = next(source, None)
            following = self._start(upcoming, mailbox, pool) if upcoming else None
            # One commit per batch rather than several per message: far fewer
            # disk syncs, and a crash loses at most the batch in flight, which
            # the next run imports again (the keys are content hashes). Its raw
            # files were written meanwhile; they are complete before it commits.
            with transaction.atomic():
                self._import_batch(current, pool.results(current.parsing), mailbox, counts, live)
            if committed is not None:
                committed()
            current = following

    def _import_batch(
        self, batch: _Batch, parsed: list, mailbox: Mailbox, counts: Counter, live: bool
    ) -> None:
        fresh: list[tuple[str, bytes]] = []
        given: list = []
        for raw, key, item, new in zip(batch.raws, batch.keys, parsed, batch.fresh, strict=True):
            known = batch.known.get(key)
            if new:
                fresh.append((key, raw))
                given.append(item)
            elif known is not None and known[1] == ReceiptStatus.PENDING:
                counts[process_receipt(known[0]).outcome] += 1  # stored by a run that crashed
            else:  # stored before, or the same message twice in what is being imported
                counts[Outcome.DUPLICATE] += 1
        accepted = accept_new(
            source="import",
            items=fresh,
            mailbox=mailbox,
            suppress_automatic_mail=not live,
            stored=[future.result() for future in batch.files],
        )
        receipts = [receipt for receipt, created in accepted if created]
        counts[Outcome.DUPLICATE] += len(accepted) - len(receipts)
        parsed_for = [item for (_r, created), item in zip(accepted, given, strict=True) if created]
        for result in process_accepted(receipts, parsed_for):
            counts[result.outcome] += 1
