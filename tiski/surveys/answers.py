"""Recording an answer: the score (changeable for a few days) and a comment.

The invitation row holds the answer; the ticket gets an event through
`tickets.actions.record_satisfaction`, which also announces the change so
triggers on "satisfaction_rated" run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tiski.tickets import actions as ticket_actions

from .models import SurveyInvitation, SurveySettings

COMMENT_MAX = 2000


class Closed(Exception):
    """The answer can no longer be changed (the change window has passed)."""


def can_change(invitation: SurveyInvitation, *, now: datetime, change_days: int) -> bool:
    """An unanswered survey can always be answered; an answer changes only for a while."""
    if invitation.answered_at is None:
        return True
    return now - invitation.answered_at <= timedelta(days=change_days)


@transaction.atomic
def record_answer(
    invitation: SurveyInvitation,
    *,
    score: int | None = None,
    comment: str | None = None,
    now: datetime | None = None,
) -> SurveyInvitation:
    """Store a score and/or a comment; raises `Closed` after the change window.

    The first answer sets ``answered_at``, which starts the window; later
    changes keep it, so the window is not stretched by changing again.
    """
    now = now or timezone.now()
    locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not can_change(locked, now=now, change_days=SurveySettings.load().change_days):
        raise Closed
    if score is not None and score not in locked.scale:
        raise ValueError(f"score {score} is outside the survey's scale")
    old_score, old_comment = locked.score, locked.comment
    if score is not None:
        locked.score = score
    if comment is not None:
        locked.comment = comment.strip()[:COMMENT_MAX]
    if locked.answered_at is None and locked.score is not None:
        # A comment without a score is kept, but only a score answers the survey.
        locked.answered_at = now
    locked.save(update_fields=["score", "comment", "answered_at"])
    if locked.ticket_id is not None:
        ticket_actions.record_satisfaction(
            locked.ticket,
            survey_id=locked.pk,
            scale=locked.kind,
            score=locked.score if locked.score != old_score else None,
            old_score=old_score,
            comment=locked.comment,
            comment_changed=locked.comment != old_comment,
            at=now,
        )
    return locked


def opt_out(invitation: SurveyInvitation) -> None:
    """The contact asked for no more surveys (the mail's unsubscribe link)."""
    from tiski.customers.models import Contact

    Contact.objects.filter(pk=invitation.contact_id).update(surveys_opt_out=True)
