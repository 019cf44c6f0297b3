"""`tiski run`: serve the desk (HTTP and websockets) on the configured database."""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from ._serve import serve


class Command(BaseCommand):
    help = "Serve Tiski with uvicorn (HTTP and websockets)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes; more than one needs REDIS_URL for live updates.",
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply database migrations first."
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not run periodic jobs and the IMAP loop in this process.",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        no_migrate: bool,
        no_scheduler: bool,
        **options,
    ) -> None:
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        start_background_jobs(self.stdout, enabled=not no_scheduler)
        self.stdout.write(f"Tiski: http://{host}:{port}/")
        serve(host, port, workers=workers)


def start_background_jobs(stdout, *, enabled: bool = True) -> threading.Event | None:
    """Without a broker, run the periodic jobs and the IMAP loop in this process.

    With REDIS_URL set, `tiski worker --beat` does this work instead.
    """
    if not enabled or not settings.CELERY_BROKER_URL.startswith("memory://"):
        return None
    from tiski.connectors.email.imap import run_forever
    from tiski.operations import scheduler

    stop = threading.Event()
    scheduler.start(stop)
    threading.Thread(target=run_forever, args=(stop,), name="tiski-imap", daemon=True).start()
    stdout.write("Background jobs run in this process (no REDIS_URL).")
    return stop
