from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="tiski.sla.check_deadlines")
def check_deadlines() -> dict[str, int]:
    return services.check_deadlines()


@shared_task(name="tiski.sla.recalculate_policy_tickets")
def recalculate_policy_tickets(policy_ids: list[int]) -> int:
    """Recompute the open tickets under edited policies (safe to retry: it re-reads)."""
    ids = services.open_tickets_under(policy_ids)
    services.refresh_tickets(ids)
    return len(ids)
