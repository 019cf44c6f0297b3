"""The requester's answer to a satisfaction survey, as events on the ticket."""

from __future__ import annotations

from datetime import datetime

from .. import events
from ..models import Event, Ticket, Via
from .unit import ticket_action


@ticket_action
def record_satisfaction(
    ticket: Ticket,
    *,
    survey_id: int,
    scale: str,
    score: int | None,
    old_score: int | None,
    comment: str = "",
    comment_changed: bool = False,
    at: datetime | None = None,
) -> list[Event]:
    """The requester answered a satisfaction survey about this ticket.

    A new or changed score is a ``satisfaction`` field event (announced, so
    triggers on "satisfaction_rated" run); a new comment is a separate
    ``satisfaction_comment`` event, so the conversation shows each answer
    once and a comment alone does not fire rating rules again.
    """
    meta = {"survey": survey_id, "scale": scale}
    written: list[Event] = []
    if score is not None and score != old_score:
        written.append(
            events.record_field_change(
                ticket,
                "satisfaction",
                old_score,
                score,
                actor=None,
                via=Via.CHANNEL,
                at=at,
                meta=meta,
            )
        )
    if comment_changed and comment.strip():
        written.append(
            events.record_field_change(
                ticket,
                "satisfaction_comment",
                None,
                comment.strip()[:2000],
                actor=None,
                via=Via.CHANNEL,
                at=at,
                meta=dict(meta),
            )
        )
    return written
