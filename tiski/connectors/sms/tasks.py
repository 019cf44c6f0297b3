"""Background work of the SMS channel."""

from __future__ import annotations

from celery import shared_task

from . import inbound


@shared_task(name="tiski.sms.deliver_incomplete")
def deliver_incomplete() -> int:
    """Periodic: long messages whose missing parts never came are delivered with what did."""
    return inbound.deliver_incomplete()
