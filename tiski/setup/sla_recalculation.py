"""After an SLA policy or a calendar is edited: recompute the open tickets' deadlines.

The editors call these inside their save transaction; the sla app's service
does the work (inline for a few hundred tickets, in a background task for
more) and this module words what happened for the Settings message.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import ngettext

from tiski.sla.models import Calendar, SlaPolicy
from tiski.sla.services import Recalculation, recalculate_policies

# Changes that move deadlines; a renamed policy or calendar moves none.
POLICY_FIELDS = {"targets", "calendar", "warn_before_minutes", "active"}
CALENDAR_FIELDS = {
    "time_zone",
    "country",
    "subdivision",
    "weekly_hours",
    "closed_dates",
    "open_dates",
}


def after_policy_edit(policy: SlaPolicy, changes: dict[str, Any]) -> str:
    """Recalculate the policy's open tickets if the edit moves deadlines; the words for it."""
    if not POLICY_FIELDS & set(changes):
        return ""
    return message(recalculate_policies([policy.pk]))


def after_calendar_edit(calendar: Calendar, changes: dict[str, Any]) -> str:
    """Recalculate the open tickets of every policy counting in this calendar."""
    if not CALENDAR_FIELDS & set(changes):
        return ""
    policies = list(SlaPolicy.objects.filter(calendar=calendar).values_list("pk", flat=True))
    return message(recalculate_policies(policies)) if policies else ""


def message(result: Recalculation) -> str:
    if not result.tickets:
        return ""
    if result.background:
        return ngettext(
            "The deadlines of %(count)d open ticket are being recalculated in the background.",
            "The deadlines of %(count)d open tickets are being recalculated in the background.",
            result.tickets,
        ) % {"count": result.tickets}
    return ngettext(
        "The deadlines of %(count)d open ticket were recalculated.",
        "The deadlines of %(count)d open tickets were recalculated.",
        result.tickets,
    ) % {"count": result.tickets}
