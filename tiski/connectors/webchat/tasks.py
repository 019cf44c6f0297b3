"""Background work of the web chat."""

from __future__ import annotations

from celery import shared_task

from . import waiting


@shared_task(name="tiski.webchat.announce_waiting")
def announce_waiting() -> int:
    """Periodic: chats waiting too long for an agent set off "chat waiting" triggers."""
    return waiting.announce_waiting()
