"""`tiski imap-poll [--once] [--mailbox ADDRESS] [--idle]`: read IMAP mailboxes.

Without --once it runs until stopped (Ctrl-C or SIGTERM): by default it
polls every --interval seconds; with --idle it keeps a connection per
mailbox and waits with IMAP IDLE where the server offers it (the same loop
`tiski run` starts in a thread). Celery beat's `poll_imap` does the --once
pass every minute; running both is safe (receipts are unique) but wasteful.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tiski.connectors.email.imap import PollResult, imap_mailboxes, poll_mailbox, run_forever


class Command(BaseCommand):
    help = _("Fetch new mail from the IMAP mailboxes.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help=_("One pass, then exit"))
        parser.add_argument(
            "--mailbox",
            action="append",
            dest="addresses",
            metavar="ADDRESS",
            help=_("Only this mailbox (may be given more than once)"),
        )
        parser.add_argument(
            "--idle", action="store_true", help=_("Wait for new mail with IMAP IDLE")
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            help=_("Seconds between passes when not using IDLE"),
        )
        parser.add_argument(
            "--max-messages", type=int, default=200, help=_("At most this many per pass")
        )

    def handle(self, *args, **options) -> None:
        addresses = [a.strip().lower() for a in options["addresses"] or []]
        mailboxes = imap_mailboxes()
        if addresses:
            mailboxes = mailboxes.filter(address__in=addresses)
            if not mailboxes.exists():
                raise CommandError(
                    _("No active IMAP mailbox %(address)s.") % {"address": ", ".join(addresses)}
                )
        if options["once"]:
            failed = 0
            for mailbox in mailboxes:
                result = poll_mailbox(mailbox.pk, max_messages=options["max_messages"])
                self._report(result)
                failed += bool(result.error)
            if failed:
                raise CommandError(_("%(count)d mailbox(es) failed.") % {"count": failed})
            return

        stop = threading.Event()
        # SIGTERM (systemd, docker stop) ends the loop like Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_args: stop.set())
        self.stdout.write(_("Reading IMAP mailboxes; Ctrl-C stops."))
        try:
            run_forever(
                stop,
                idle=options["idle"],
                poll_interval=options["interval"],
                addresses=addresses or None,
            )
        except KeyboardInterrupt:
            stop.set()

    def _report(self, result: PollResult) -> None:
        if result.error:
            self.stderr.write(
                _("%(mailbox)s: failed: %(error)s")
                % {"mailbox": result.mailbox, "error": result.error}
            )
            return
        self.stdout.write(
            _("%(mailbox)s: new: %(new)d, fetched again: %(again)d, quarantined: %(quarantined)d")
            % {
                "mailbox": result.mailbox,
                "new": result.fetched,
                "again": result.already_had,
                "quarantined": result.quarantined,
            }
        )
