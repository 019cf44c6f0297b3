"""The demo's teamwork: a team lead, a mention, a follower and an escalated ticket.

Written through the desk's own actions and services, so the bell, the
Following and Escalated views and the timeline show them as they would in use.
"""

from __future__ import annotations

from tiski.accounts.models import Team, User
from tiski.notifications import digests
from tiski.notifications import services as notifications
from tiski.notifications.models import Delivery, FollowReason, Kind, MailFrequency
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Priority, Ticket, Via

from .demo_side import show_side_conversation


def _open_tickets(team: Team, assignee: User) -> list[Ticket]:
    return list(
        Ticket.objects.unsolved()
        .filter(team=team, assignee=assignee, escalation_level=0, parent__isnull=True)
        .order_by("-updated_at")[:2]
    )


def show_collaboration(*, team: Team, lead: User, agent: User, expert: User) -> None:
    """`lead` leads `team`; `agent` mentions `expert` on one ticket and escalates another."""
    team.leads.add(lead)
    team.members.add(lead)
    # The lead reads escalations once a day, in the morning digest, not mail by mail.
    notifications.save_settings(lead, {Kind.ESCALATED: Delivery.EMAIL})
    digests.save_schedule(lead, MailFrequency.DAILY, daily_hour=8)
    tickets = _open_tickets(team, agent)
    if len(tickets) < 2:
        return
    mentioned, escalated = tickets
    actions.add_message(
        mentioned,
        kind=MessageKind.INTERNAL,
        actor=agent,
        via=Via.AGENT,
        text=(
            f"@{expert.email.split('@')[0]} voitko tarkistaa, kuuluuko tämä vielä takuuseen? "
            "Asiakas odottaa vastausta tänään."
        ),
    )
    # The lead keeps an eye on the case without owning it.
    notifications.follow(lead, mentioned.pk, FollowReason.MANUAL)
    # A refund past the agent's authority is urgent: the admin's
    # "Kiireelliset" saved search always has it, whatever the generator drew.
    actions.update_ticket(escalated, actor=agent, via=Via.AGENT, priority=Priority.URGENT)
    actions.escalate(
        escalated,
        actor=agent,
        via=Via.AGENT,
        reason="Asiakas pyytää hyvitystä, joka ylittää valtuuteni.",
        to_user=lead,
        to_team=team,
    )
    # The same ticket needs the supplier's word: a side conversation beside it.
    show_side_conversation(mentioned, agent)
