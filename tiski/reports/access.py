"""Who may see which figures.

Managers and admins see the whole desk's reports; an agent sees reports
narrowed to their own work. Ticket rows always come through
``Ticket.objects.visible_to(user)``, so a restricted team's tickets stay out
of the figures of people outside it, exactly as they stay out of lists.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


def can_see_team_reports(user) -> bool:
    return bool(getattr(user, "can_see_team_reports", False))


def require_reports_access(user) -> None:
    """Light agents have no reports; everyone else sees at least their own."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    if not (can_see_team_reports(user) or user.can_reply_publicly):
        raise PermissionDenied
