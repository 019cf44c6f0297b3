"""`tiski run`: serve the desk (HTTP and websockets) on the configured database."""

from __future__ import annotations

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

    def handle(
        self, *args, host: str, port: int, workers: int, no_migrate: bool, **options
    ) -> None:
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"Tiski: http://{host}:{port}/")
        serve(host, port, workers=workers)
