"""Background work of the rules app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tiski.rules.tasks.run_time_rules")
def run_time_rules() -> dict[str, int]:
    """Periodic (every 5 minutes): one pass of the time rules.

    Safe to retry or overlap: a rule fires once per ticket until the ticket
    changes, and on PostgreSQL a second concurrent pass steps aside.
    """
    from .engine import run_time_rules as run

    return run()
