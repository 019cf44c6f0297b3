from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="tiski.sla.check_deadlines")
def check_deadlines() -> dict[str, int]:
    return services.check_deadlines()
