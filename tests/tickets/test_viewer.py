"""Viewer.sees is visible_to's rule: the desk's pushes decide with it, the lists with the query."""

from __future__ import annotations

from tiski.accounts.models import Role
from tiski.tickets.models import Ticket, Viewer


def test_viewer_agrees_with_visible_to_for_every_kind_of_user_and_ticket(
    make_user, make_team, make_ticket
):
    """Every user against every ticket: the push's answer is the list's answer."""
    plain, secret = make_team("Tuki"), make_team("Johto", restricted=True)
    users = [
        make_user(teams=(plain,)),
        make_user(teams=(secret,)),
        make_user(teams=(plain, secret)),
        make_user(),  # no team
        make_user(role=Role.ADMIN),
        make_user(teams=(plain, secret), is_active=False),
    ]
    outsider = users[3]
    tickets = [
        make_ticket(team=team, assignee=assignee)
        for team in (None, plain, secret)
        for assignee in (None, outsider, users[1])
        # assignable only to a member of the ticket's team (or to anyone without one)
        if assignee is None or team is None or team.members.filter(pk=assignee.pk).exists()
    ]
    # The outsider assigned to a restricted team's ticket (assigned before the
    # team was set, or left after it): still hidden from them.
    hidden = make_ticket(assignee=outsider)
    Ticket.objects.filter(pk=hidden.pk).update(team=secret)
    tickets.append(Ticket.objects.get(pk=hidden.pk))
    checked = 0
    for user in users:
        viewer = Viewer.read(user.pk)
        visible = set(Ticket.objects.visible_to(user).values_list("pk", flat=True))
        for ticket in tickets:
            team = ticket.team
            decided = viewer.sees(
                team_id=ticket.team_id,
                team_restricted=bool(team and team.restricted),
                assignee_id=ticket.assignee_id,
            )
            assert decided == (ticket.pk in visible), (user.email, ticket.pk)
            checked += 1
    assert checked == len(users) * len(tickets) >= 40
    assert not Viewer.read(outsider.pk).sees(
        team_id=secret.pk, team_restricted=True, assignee_id=outsider.pk
    )


def test_viewer_reads_the_teams_as_they_are_now(make_user, make_team):
    """A user added to a team is seen in it by the next read (sockets re-read on change)."""
    team = make_team("Myynti", restricted=True)
    user = make_user()
    before = Viewer.read(user.pk)
    team.members.add(user)
    after = Viewer.read(user.pk)
    assert not before.sees(team_id=team.pk, team_restricted=True, assignee_id=None)
    assert after.sees(team_id=team.pk, team_restricted=True, assignee_id=None)
    assert not Viewer.read(10**9).sees(team_id=None, team_restricted=False, assignee_id=None)
