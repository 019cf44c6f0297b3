"""`tiski smtpd [--host 127.0.0.1] [--port 2525] [--lmtp]`: receive mail directly.

Point the organisation's mail server at it (Postfix: a transport
``lmtp:inet:127.0.0.1:2525`` with --lmtp, or ``smtp:[127.0.0.1]:2525``).
It has no authentication: keep it on localhost or a trusted network.
"""

from __future__ import annotations

import asyncio
import signal

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from tiski.connectors.email.smtpd import serve_async


class Command(BaseCommand):
    help = _("Receive mail for Tiski's mailboxes over SMTP or LMTP.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help=_("Address to listen on (no authentication: keep it local)"),
        )
        parser.add_argument("--port", type=int, default=2525, help=_("Port to listen on"))
        parser.add_argument(
            "--lmtp", action="store_true", help=_("Speak LMTP (one reply per recipient)")
        )

    def handle(self, *args, host: str, port: int, lmtp: bool, **options) -> None:
        asyncio.run(self._main(host, port, lmtp))

    async def _main(self, host: str, port: int, lmtp: bool) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        def ready(bound: int) -> None:
            self.stdout.write(
                _("Receiving mail (%(protocol)s) on %(host)s:%(port)d; Ctrl-C stops.")
                % {"protocol": "LMTP" if lmtp else "SMTP", "host": host, "port": bound}
            )

        await serve_async(host, port, lmtp=lmtp, stop=stop, ready=ready)
