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
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from tiski.channels.email.intake import Outcome, accept, process_receipt
from tiski.channels.models import Mailbox
from tiski.tickets import changes


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
        box = mailboxes.mbox(str(path), factory=None, create=False)
        try:
            for key in box.iterkeys():
                # get_bytes gives the message without the "From " line and
                # with ">From " unquoting left as mbox stored it.
                yield f"{path}#{key}", box.get_bytes(key)
        finally:
            box.close()
        return
    yield str(path), path.read_bytes()


BATCH = 100


class Command(BaseCommand):
    help = _("Import .eml files, an mbox or a Maildir into a mailbox.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("An .eml file, a folder of them, an mbox or a Maildir"))
        parser.add_argument("--mailbox", required=True, help=_("The address the mail came to"))
        parser.add_argument(
            "--live",
            action="store_true",
            help=_("Allow automatic mail (acknowledgements, rules) for it"),
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        if not path.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        address = options["mailbox"].strip().lower()
        mailbox, _created = Mailbox.objects.get_or_create(address=address)
        counts: Counter = Counter()
        if options["live"]:
            self._import(path, mailbox, counts, live=True)
        else:
            # Old mail: the ticket-change handlers run once per ticket at the
            # end (SLA, search), and nothing acts as if the mail were new.
            with changes.deferred() as touched:
                self._import(path, mailbox, counts, live=False)
            changes.catch_up(touched)
        counts[Outcome.THREADED] += counts.pop(Outcome.BOUNCE_ATTACHED, 0)
        self.stdout.write(
            _(
                "imported: %(created)d, threaded: %(threaded)d, duplicates: %(duplicate)d, "
                "quarantined: %(quarantined)d, bounces without a ticket: %(bounces)d"
            )
            % {
                "created": counts[Outcome.CREATED],
                "threaded": counts[Outcome.THREADED],
                "duplicate": counts[Outcome.DUPLICATE],
                "quarantined": counts[Outcome.QUARANTINED],
                "bounces": counts[Outcome.BOUNCE_UNMATCHED],
            }
        )
        self.counts = counts

    def _import(self, path: Path, mailbox: Mailbox, counts: Counter, *, live: bool) -> None:
        messages = iter_messages(path)
        while True:
            # Commit every BATCH messages rather than several times per
            # message: far fewer disk syncs, and a crash loses at most the
            # batch in flight, which the next run imports again (the keys
            # are content hashes).
            with transaction.atomic():
                more = self._import_batch(messages, mailbox, counts, live=live)
            if not more:
                return

    def _import_batch(self, messages, mailbox: Mailbox, counts: Counter, *, live: bool) -> bool:
        """Import up to BATCH messages; False when the source is exhausted."""
        for n, (_label, raw) in enumerate(messages, start=1):
            key = hashlib.sha256(raw).hexdigest()
            receipt, created = accept(
                source="import",
                key=key,
                raw=raw,
                mailbox=mailbox,
                suppress_automatic_mail=not live,
                schedule=False,
            )
            if not created and receipt.status != "pending":
                counts[Outcome.DUPLICATE] += 1
            else:
                counts[process_receipt(receipt.pk).outcome] += 1
            if n >= BATCH:
                return True
        return False
