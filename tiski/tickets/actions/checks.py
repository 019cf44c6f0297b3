"""Validation and authorisation before a write (the ``check_*`` functions).

Each raises `PermissionDenied` (the actor may not) or `ValidationError`
(the ticket cannot), with a sentence an agent can read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from ..models import UNSOLVED_STATUSES, MessageKind, Status, Ticket

if TYPE_CHECKING:
    from tiski.accounts.models import Team, User


def check_can_see(user: User, ticket: Ticket) -> None:
    if not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You cannot see this ticket."))


def check_can_write_message(user: User | None, kind: str) -> None:
    if user is None:
        return
    if kind == MessageKind.PUBLIC and not user.can_reply_publicly:
        raise PermissionDenied(_("Light agents can write internal notes only."))


def check_not_closed(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed."))


def check_assignable(assignee: User | None, team: Team | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active:
        raise ValidationError(_("%(name)s is not an active user.") % {"name": assignee})
    if team is not None and team.restricted and not assignee.is_admin:
        if not team.members.filter(pk=assignee.pk).exists():
            raise ValidationError(
                _("%(name)s is not a member of the restricted team %(team)s.")
                % {"name": assignee, "team": team}
            )


def open_children(ticket: Ticket) -> list[int]:
    """Numbers of the ticket's unsolved child tickets."""
    return list(
        ticket.children.filter(status__in=UNSOLVED_STATUSES)
        .order_by("number")
        .values_list("number", flat=True)
    )


def check_can_solve(ticket: Ticket, numbers: list[int] | None = None) -> None:
    """``numbers``: the ticket's open child tickets, when the caller has read them."""
    if numbers is None:
        numbers = open_children(ticket)
    if numbers:
        raise ValidationError(
            _(
                "This ticket cannot be solved while its child tickets are open (%(numbers)s). "
                "Solve them first; an admin may solve it anyway."
            )
            % {"numbers": ", ".join(f"#{n}" for n in numbers)}
        )


def check_can_override_children(user: User | None) -> None:
    if user is not None and not user.is_admin:
        raise PermissionDenied(
            _("Only an admin may solve a ticket while its child tickets are open.")
        )
