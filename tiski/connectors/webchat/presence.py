"""Is the visitor in the chat now, on either transport.

A websocket counts while it is open and was heard within
``TISKI_WEBCHAT_AWAY_MINUTES`` (the widget pings every 20 s, so a process that
died with its sockets counted stops counting). The long-polling fallback
holds no connection between polls: each poll marks the session present until
the poll's own end plus ``POLL_GRACE`` for the widget to send the next one.
One definition, used as a query (routing, the waiting check) and on a loaded
session (live delivery), so the two never disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ChatSession

# Time for the widget to send its next poll after one returns, with room for
# a slow phone network; a visitor gone longer gets replies by email.
POLL_GRACE = timedelta(seconds=10)


def poll_seconds() -> float:
    """How long one long-poll waits for news before it answers empty."""
    return float(getattr(settings, "TISKI_WEBCHAT_POLL_SECONDS", 25))


def _since(now: datetime) -> datetime:
    return now - timedelta(minutes=getattr(settings, "TISKI_WEBCHAT_AWAY_MINUTES", 2))


def present_q(now: datetime, prefix: str = "") -> Q:
    """Sessions whose visitor is there; ``prefix`` reaches them through a relation."""
    socket = Q(**{f"{prefix}open_sockets__gt": 0, f"{prefix}last_seen__gte": _since(now)})
    return socket | Q(**{f"{prefix}polling_until__gte": now})


def is_present(session: ChatSession, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    fresh = session.last_seen is not None and session.last_seen >= _since(now)
    polling = session.polling_until is not None and session.polling_until >= now
    return (session.open_sockets > 0 and fresh) or polling


def poll_started(session_id: int, wait: float) -> None:
    now = timezone.now()
    ChatSession.objects.filter(pk=session_id).update(
        last_seen=now, polling_until=now + timedelta(seconds=wait) + POLL_GRACE
    )


def poll_abandoned(session_id: int) -> None:
    """The browser dropped a waiting poll (tab closed): gone, as a closed socket is."""
    ChatSession.objects.filter(pk=session_id).update(polling_until=None)
