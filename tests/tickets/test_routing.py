"""Routing within a team and hand-over during absences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tiski.accounts.models import Role, Routing
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, Via
from tiski.tickets.routing import Candidate, choose_agent, hand_over_absences, route_ticket


def cands(*rows):
    return [Candidate(uid, load, frozenset(skills)) for uid, load, skills in rows]


def test_least_loaded_picks_fewest_open_then_lowest_id():
    pool = cands((1, 5, ()), (2, 2, ()), (3, 2, ()))
    assert (
        choose_agent(
            pool, mode=Routing.LEAST_LOADED, needed_skills=frozenset(), cap=0, last_user_id=None
        )
        == 2
    )


def test_round_robin_takes_turns_and_wraps():
    pool = cands((1, 0, ()), (2, 9, ()), (3, 0, ()))
    picks = []
    last = None
    for _ in range(4):
        last = choose_agent(
            pool, mode=Routing.ROUND_ROBIN, needed_skills=frozenset(), cap=0, last_user_id=last
        )
        picks.append(last)
    assert picks == [1, 2, 3, 1]


def test_cap_and_skills():
    pool = cands((1, 3, ("fi",)), (2, 1, ("fi", "en")), (3, 0, ("fi",)))
    assert (
        choose_agent(
            pool,
            mode=Routing.LEAST_LOADED,
            needed_skills=frozenset({"en"}),
            cap=0,
            last_user_id=None,
        )
        == 2
    )
    # the only English speaker is full: someone under the cap still gets it
    assert (
        choose_agent(
            pool,
            mode=Routing.LEAST_LOADED,
            needed_skills=frozenset({"en"}),
            cap=1,
            last_user_id=None,
        )
        == 3
    )
    assert (
        choose_agent(
            cands((1, 2, ())),
            mode=Routing.ROUND_ROBIN,
            needed_skills=frozenset(),
            cap=2,
            last_user_id=None,
        )
        is None
    )
    assert (
        choose_agent(pool, mode=Routing.MANUAL, needed_skills=frozenset(), cap=0, last_user_id=None)
        is None
    )


@pytest.mark.django_db(transaction=True)
def test_new_ticket_is_routed_fairly_skipping_absent_and_light(make_team, make_user, make_ticket):
    team = make_team("Asiakastuki")
    team.routing = Routing.ROUND_ROBIN
    team.save()
    a, b = make_user(teams=(team,)), make_user(teams=(team,))
    make_user(teams=(team,), role=Role.LIGHT_AGENT)
    away = make_user(teams=(team,), out_of_office_from=timezone.now() - timedelta(hours=1))
    tickets = [make_ticket(team=team) for _ in range(4)]
    owners = [Ticket.objects.get(pk=t.pk).assignee_id for t in tickets]
    assert set(owners) == {a.pk, b.pk}
    assert owners.count(a.pk) == 2 and away.pk not in owners


@pytest.mark.django_db(transaction=True)
def test_manual_team_is_not_routed(make_team, make_user, make_ticket):
    team = make_team("Myynti")
    make_user(teams=(team,))
    ticket = make_ticket(team=team)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert route_ticket(ticket.pk) is None


@pytest.mark.django_db(transaction=True)
def test_absence_hands_over_and_customer_reply_brings_it_back(make_team, make_user, make_ticket):
    team = make_team("Asiakastuki")
    owner = make_user(teams=(team,))
    colleague = make_user(teams=(team,))
    owner.absence_delegate = colleague
    owner.save()
    ticket = make_ticket(team=team, assignee=owner)
    owner.out_of_office_from = timezone.now() - timedelta(minutes=1)
    owner.out_of_office_until = timezone.now() + timedelta(days=1)
    owner.save()
    assert hand_over_absences() == 1
    assert hand_over_absences() == 0  # once per absence
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    # the owner returns; the customer writes: the ticket goes home
    owner.out_of_office_until = timezone.now() - timedelta(seconds=1)
    owner.save()
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=ticket.requester,
        text="Kysyisin vielä",
    )
    ticket.refresh_from_db()
    assert ticket.assignee == owner


@pytest.mark.django_db(transaction=True)
def test_a_routed_new_ticket_tells_its_agent_once(make_team, make_user, make_ticket):
    """The creation's change and the routing's assignment both reach the
    notice handler; only the assignment says who gave the ticket, so only it
    makes a notice (the creation once read the routed assignee off the row)."""
    from tiski.notifications.models import Notification

    team = make_team("Asiakastuki")
    team.routing = Routing.ROUND_ROBIN
    team.save()
    agent = make_user(teams=(team,))
    ticket = make_ticket(team=team)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk
    notices = Notification.objects.filter(ticket=ticket, user=agent, kind="assigned")
    assert notices.count() == 1

    # given at creation by a colleague: the creation's change is the only one, and tells
    colleague = make_user(teams=(team,))
    given = actions.create_ticket(
        requester=ticket.requester,
        subject="Soitto",
        actor=colleague,
        via=Via.AGENT,
        text="Asiakas soitti",
        team=team,
        assignee=agent,
    )
    assert Notification.objects.filter(ticket=given, user=agent, kind="assigned").count() == 1
