"""Escalation: a ticket handed up to a team lead or a senior team, with a reason.

The level only rises (each escalation is one step); the event carries the
reason and whom it went to, so rules ("escalated"), reports and the
notifications read one record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import events
from ..models import Ticket
from .checks import check_not_closed
from .fields import update_ticket
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import Team, User


def check_can_escalate(ticket: Ticket, reason: str, to_user: User | None, to_team: Team | None):
    check_not_closed(ticket)
    if not reason.strip():
        raise ValidationError(_("Say why the ticket is escalated."))
    if to_user is None and to_team is None:
        raise ValidationError(_("Choose a team lead or a team to escalate to."))


@ticket_action
def escalate(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    reason: str,
    to_user: User | None = None,
    to_team: Team | None = None,
) -> Ticket:
    """Raise the escalation level and give the ticket to the lead and/or team."""
    check_can_escalate(ticket, reason, to_user, to_team)
    old = ticket.escalation_level
    ticket.escalation_level = old + 1
    ticket.save(update_fields=["escalation_level"])
    events.record_escalation(
        ticket,
        old,
        ticket.escalation_level,
        actor=actor,
        via=via,
        reason=reason.strip(),
        to_user_id=to_user.pk if to_user else None,
        to_team_id=to_team.pk if to_team else None,
    )
    handover: dict = {}
    if to_team is not None:
        handover["team"] = to_team
    if to_user is not None:
        handover["assignee"] = to_user
    if handover:
        update_ticket(ticket, actor=actor, via=via, **handover)
    return ticket
