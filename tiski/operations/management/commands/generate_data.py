"""`tiski generate-data --tickets N`: a synthetic desk for scale tests and benchmarks.

A developer tool: it writes rows directly (see tiski.operations.generate for why and
which invariants it keeps), so never point it at a production database.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from tiski.operations.generate import DEFAULT_PASSWORD, generate


class Command(BaseCommand):
    help = "Fill the database with generated agents, customers, tickets and conversations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, required=True, help="How many tickets.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same desk.")
        parser.add_argument("--batch", type=int, default=5000, help="Tickets per transaction.")
        parser.add_argument("--agents", type=int, default=40)
        parser.add_argument("--teams", type=int, default=6)
        parser.add_argument(
            "--days", type=int, default=3 * 365, help="History length: tickets spread over it."
        )
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="For every agent.")

    def handle(
        self,
        *args,
        tickets: int,
        seed: int,
        batch: int,
        agents: int,
        teams: int,
        password: str,
        days: int,
        **options,
    ) -> None:
        if tickets < 1:
            self.stderr.write("--tickets must be at least 1")
            return
        result = generate(
            tickets,
            seed=seed,
            batch=max(1, batch),
            agents=agents,
            teams=teams,
            password=password,
            history=timedelta(days=max(1, days)),
            stdout=self.stdout,
        )
        rate = result.tickets / result.seconds if result.seconds else 0
        self.stdout.write(
            f"Generated {result.tickets:,} tickets (#{result.first_number}-#{result.last_number}),"
            f" {result.messages:,} messages, {result.events:,} events, {result.contacts:,}"
            f" contacts in {result.seconds:.1f} s ({rate:,.0f} tickets/s)."
        )
        for email, pw in result.logins:
            self.stdout.write(f"Login: {email} / {pw}")
