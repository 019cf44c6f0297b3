"""Hand-built ticket histories with known answers (docs/reports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tiski.accounts.models import Role
from tiski.reports import facts
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Ticket, Via

HKI = ZoneInfo("Europe/Helsinki")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=HKI)


@dataclass
class History:
    manager: object
    agent: object
    outsider: object
    team: object
    secret_team: object
    weekend: Ticket
    reopened: Ticket
    pending: Ticket
    merged: Ticket
    merge_target: Ticket
    secret: Ticket

    @property
    def tickets(self) -> list[Ticket]:
        return [
            self.weekend,
            self.reopened,
            self.pending,
            self.merged,
            self.merge_target,
            self.secret,
        ]


def reply(ticket, agent, when, **kw):
    return actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=agent,
        via=Via.AGENT,
        text="Vastaus",
        created_at=when,
        **kw,
    )


def customer(ticket, when):
    return actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        text="Asiakas kirjoittaa",
        author_contact=ticket.requester,
        channel="email",
        created_at=when,
    )


def status(ticket, agent, value, when):
    ticket.refresh_from_db()
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=value, at=when)


@pytest.fixture
def history(db, make_user, make_team, make_ticket, make_contact, mailbox) -> History:
    team = make_team("Tuki")
    secret_team = make_team("Johto", restricted=True)
    manager = make_user(
        role=Role.MANAGER, teams=(team,), email="esihenkilo@example.fi", name="Esa Esihenkilö"
    )
    agent = make_user(teams=(team,), email="agentti@example.fi", name="Aino Agentti")
    outsider = make_user(
        role=Role.MANAGER, teams=(team,), email="ulkopuolinen@example.fi", name="Ulla Ulko"
    )
    boss = make_user(teams=(secret_team,), email="johto@example.fi", name="Johtaja")

    # Created Friday 2.1.2026 15:00, answered Wednesday 7.1. 09:00: a weekend
    # and Epiphany (Tuesday 6.1.) in between.
    weekend = make_ticket(
        subject="Viikonloppu", team=team, assignee=agent, created_at=at(2026, 1, 2, 15)
    )
    reply(weekend, agent, at(2026, 1, 7, 9))
    status(weekend, agent, Status.SOLVED, at(2026, 1, 7, 10))

    # Monday 12.1.: solved and reopened twice, finally solved Tuesday 10:30.
    reopened = make_ticket(
        subject="Kahdesti auki", team=team, assignee=agent, created_at=at(2026, 1, 12, 9)
    )
    reply(reopened, agent, at(2026, 1, 12, 10))
    status(reopened, agent, Status.SOLVED, at(2026, 1, 12, 11))
    customer(reopened, at(2026, 1, 12, 12))
    reply(reopened, agent, at(2026, 1, 12, 13))
    status(reopened, agent, Status.SOLVED, at(2026, 1, 12, 14))
    customer(reopened, at(2026, 1, 13, 9))
    reply(reopened, agent, at(2026, 1, 13, 10))
    status(reopened, agent, Status.SOLVED, at(2026, 1, 13, 10, 30))

    # Monday 19.1.: pending for two days, solved Wednesday.
    pending = make_ticket(
        subject="Odottaa", team=team, assignee=agent, created_at=at(2026, 1, 19, 9)
    )
    reply(pending, agent, at(2026, 1, 19, 9, 30))
    status(pending, agent, Status.PENDING, at(2026, 1, 19, 9, 30))
    customer(pending, at(2026, 1, 21, 9, 30))
    status(pending, agent, Status.SOLVED, at(2026, 1, 21, 10, 30))

    # Two tickets of one customer, one merged into the other.
    person = make_contact()
    merge_target = make_ticket(
        subject="Yhdistetty tähän",
        requester=person,
        team=team,
        assignee=agent,
        created_at=at(2026, 1, 20, 9),
    )
    merged = make_ticket(
        subject="Yhdistetty pois",
        requester=person,
        team=team,
        assignee=agent,
        created_at=at(2026, 1, 20, 10),
    )
    reply(merge_target, agent, at(2026, 1, 20, 11))
    actions.merge_tickets(merged, merge_target, actor=agent, via=Via.AGENT)

    # A restricted team's ticket: only its members (and admins) count it.
    secret = make_ticket(
        subject="Salainen", team=secret_team, assignee=boss, created_at=at(2026, 1, 14, 9)
    )
    reply(secret, boss, at(2026, 1, 14, 10))

    all_tickets = [weekend, reopened, pending, merged, merge_target, secret]
    facts.refresh([t.pk for t in all_tickets])
    for t in all_tickets:
        t.refresh_from_db()
    return History(
        manager,
        agent,
        outsider,
        team,
        secret_team,
        weekend,
        reopened,
        pending,
        merged,
        merge_target,
        secret,
    )


# Whole months December-February, edges in November and March; the previous
# period (as long, right before) has whole months August-October.
LONG = {"from": "2025-11-15", "to": "2026-03-20"}


@pytest.fixture
def spread(history, make_ticket, make_user, make_team):
    """Tickets over months around ``LONG``: in its edges, its whole months,
    before it, and in the previous period; a restricted team's among them,
    and two of a team the outsider is not in, assigned to the outsider (the
    visibility rule's third arm)."""
    team, agent, boss = history.team, history.agent, history.secret.assignee
    helper = make_user(teams=(team,), email="apu@example.fi", name="Apu Agentti")
    sales = make_team("Myynti")
    made = []

    def ticket(created, first, solved=None, *, team=team, assignee=agent, more=()):
        t = make_ticket(subject="Kuukausi", team=team, assignee=assignee, created_at=created)
        reply(t, assignee, first)
        for asked, answered in more:
            customer(t, asked)
            reply(t, assignee, answered)
        if solved is not None:
            status(t, assignee, Status.SOLVED, solved)
        made.append(t)

    ticket(at(2025, 9, 10, 9), at(2025, 9, 10, 11), at(2025, 9, 12, 15))
    ticket(at(2025, 10, 1, 8), at(2025, 10, 3, 14), at(2025, 10, 30, 12), assignee=helper)
    ticket(at(2025, 11, 3, 10), at(2025, 11, 3, 15), at(2025, 12, 2, 12))
    ticket(
        at(2025, 11, 20, 8),
        at(2025, 11, 21, 9),
        at(2025, 12, 5, 16),
        more=[(at(2025, 11, 22, 10), at(2025, 11, 24, 10))],
    )
    ticket(at(2025, 12, 10, 14), at(2025, 12, 10, 17), at(2026, 2, 3, 9), team=None)
    ticket(at(2025, 12, 31, 23, 30), at(2026, 1, 1, 0, 15), at(2026, 1, 2, 9), assignee=helper)
    ticket(
        at(2026, 2, 10, 9),
        at(2026, 2, 10, 10),
        at(2026, 2, 11, 9),
        team=history.secret_team,
        assignee=boss,
    )
    ticket(
        at(2026, 2, 26, 9),
        at(2026, 2, 27, 13),
        at(2026, 3, 3, 11),
        more=[(at(2026, 2, 28, 9), at(2026, 3, 2, 8))],
    )
    ticket(at(2026, 3, 10, 9), at(2026, 3, 10, 9, 5))
    ticket(
        at(2026, 1, 8, 12),
        at(2026, 1, 8, 18),
        at(2026, 1, 9, 9),
        team=sales,
        assignee=history.outsider,
    )
    ticket(at(2025, 11, 28, 9), at(2025, 11, 28, 9, 40), team=sales, assignee=history.outsider)
    ticket(at(2026, 3, 25, 9), at(2026, 3, 25, 12), at(2026, 3, 26, 9))
    facts.refresh([t.pk for t in made])
    return history
