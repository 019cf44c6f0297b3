"""`tiski demo`: the embedded default with Finnish demo data, one command.

Creates the database on first run, fills it with the demo company, prints
the logins and serves on 127.0.0.1. Running it again keeps the data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tiski.operations.demo_data import populate
from tiski.operations.demo_knowledge import BRAND_HOST
from tiski.tickets import changes

from ._serve import serve
from .run import start_background_jobs


class Command(BaseCommand):
    help = "Start Tiski with demo data on the embedded database."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the database and demo data, then exit."
        )

    def handle(self, *args, port: int, host: str, no_serve: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # The demo's history is old news: SLA clocks and the search index are
        # brought up to date once at the end; acknowledgements and rules do not run.
        with changes.deferred() as touched:
            logins = populate(stdout=self.stdout)
        changes.catch_up(touched)
        password = settings.TISKI_DEMO_PASSWORD
        if logins:
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        else:
            self.stdout.write("Existing data kept.")
        self.stdout.write("")
        self.stdout.write(f"  Open      http://{host}:{port}/")
        self.stdout.write("  Log in    admin@tiski.example")
        self.stdout.write(f"  Password  {password}")
        self.stdout.write(
            f"  (agents: {', '.join(e for e, _p in logins[1:3]) or 'see Settings'}, same password)"
        )
        self.stdout.write(f"  Help      http://{host}:{port}/help/  (customers' side)")
        self.stdout.write(f"  Brand     http://{BRAND_HOST}:{port}/  (its own help centre)")
        self.stdout.write("")
        if not no_serve:
            start_background_jobs(self.stdout)
            serve(host, port)
