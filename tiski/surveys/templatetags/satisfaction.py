"""The ticket side panel's satisfaction card: the survey sent and its answer."""

from __future__ import annotations

from django import template

from tiski.tickets.models import Ticket

from ..models import SurveyInvitation, SurveyKind

register = template.Library()


@register.inclusion_tag("surveys/_satisfaction_card.html")
def satisfaction_card(ticket: Ticket) -> dict:
    survey = (
        SurveyInvitation.objects.filter(ticket=ticket, kind=SurveyKind.CSAT)
        .order_by("-sent_at", "-id")
        .first()
    )
    satisfied = survey is not None and survey.score is not None and survey.score >= 4
    dissatisfied = survey is not None and survey.score is not None and survey.score <= 2
    return {"survey": survey, "satisfied": satisfied, "dissatisfied": dissatisfied}
