"""A chat visitor waiting too long for an agent: the "chat waiting" trigger event.

Checked periodically (``tiski.webchat.announce_waiting``): an open session
whose visitor is still there, on an unsolved ticket, whose newest visitor
message has had no public reply for ``TISKI_WEBCHAT_WAITING_SECONDS``. Each
such message is announced once (``ChatSession.waiting_announced_for``), so a
trigger can assign, raise the priority or notify a lead without firing again
every pass; a new unanswered message can be announced again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from tiski.rules.engine import run_triggers
from tiski.tickets.models import UNSOLVED_STATUSES, Message, MessageKind

from .models import ChatSession, SessionStatus
from .presence import present_q

EVENT = "chat_waiting"


def waiting_sessions(now: datetime) -> list[tuple[ChatSession, int]]:
    """(session, the unanswered visitor message) for each chat waiting too long."""
    limit = timedelta(seconds=getattr(settings, "TISKI_WEBCHAT_WAITING_SECONDS", 120))
    sessions = ChatSession.objects.filter(
        present_q(now), status=SessionStatus.OPEN, ticket__status__in=UNSOLVED_STATUSES
    ).select_related("ticket")
    found = []
    for session in sessions:
        latest = Message.objects.filter(ticket_id=session.ticket_id).aggregate(
            visitor=Max("id", filter=Q(kind=MessageKind.CUSTOMER)),
            reply=Max("id", filter=Q(kind=MessageKind.PUBLIC)),
        )
        visitor = latest["visitor"]
        if visitor is None or (latest["reply"] or 0) > visitor:
            continue  # nothing said yet, or answered
        if session.waiting_announced_for is not None and session.waiting_announced_for >= visitor:
            continue
        # Waiting since the first visitor message after the last reply.
        first_unanswered = (
            Message.objects.filter(
                ticket_id=session.ticket_id, kind=MessageKind.CUSTOMER, id__gt=latest["reply"] or 0
            )
            .order_by("id")
            .values_list("created_at", flat=True)
            .first()
        )
        if first_unanswered is not None and now - first_unanswered >= limit:
            found.append((session, visitor))
    return found


def announce_waiting(now: datetime | None = None) -> int:
    """Run the "chat waiting" triggers once per waiting message; the number announced."""
    now = now or timezone.now()
    announced = 0
    for session, message_id in waiting_sessions(now):
        # Claimed first, so two overlapping passes announce it once.
        claimed = (
            ChatSession.objects.filter(pk=session.pk)
            .filter(Q(waiting_announced_for__isnull=True) | Q(waiting_announced_for__lt=message_id))
            .update(waiting_announced_for=message_id)
        )
        if claimed:
            run_triggers(session.ticket_id, frozenset({EVENT}))
            announced += 1
    return announced
