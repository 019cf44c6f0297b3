"""The small lists a desk page offers in several selects, read once per request.

The inbox shows the ticket types, teams and agents in its filter form and
again in the bulk bar; the ticket page has the teams in its escalation form.
Each list is read once and kept by the web process until it changes
(core/config_cache.py).
"""

from __future__ import annotations

from tiski.accounts.models import Team, User
from tiski.core.config_cache import kept
from tiski.tickets.models import TicketType, member_team_ids


def active_types() -> list[TicketType]:
    return kept("desk:active-types", lambda: list(TicketType.objects.filter(active=True)))


def teams() -> list[Team]:
    # Not the last routed agent: routing writes it with every new ticket, and
    # no page shows it (the kept list would be read again after each).
    return kept("desk:teams", lambda: list(Team.objects.defer("last_routed_to").order_by("name")))


def active_agents() -> list[User]:
    return kept(
        "desk:active-agents",
        # Every select shows an agent by id and name (or email): forty full rows
        # with their password hashes and preferences cost more to build than to read.
        lambda: list(User.objects.filter(is_active=True).order_by("name").only("name", "email")),
    )


def teams_of(user: User) -> list[Team]:
    """The teams whose views the user has in the sidebar: all for an admin."""
    if user.is_admin:
        return teams()
    # Which teams are the user's, visible_to has read for the request already;
    # the teams themselves are the desk's list, which the page reads anyway.
    mine = set(member_team_ids(user))
    return [team for team in teams() if team.pk in mine]
