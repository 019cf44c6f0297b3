"""Child tickets made from the ticket page ("Uusi alatiketti")."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Priority, Status, Ticket, TicketType, Via


@pytest.fixture
def team(make_team):
    return make_team("Asiakastuki")


@pytest.fixture
def agent(make_user, team):
    return make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


def test_child_ticket_from_the_ticket_page(agent_client, agent, team, make_team, make_ticket):
    """The child gets the parent's requester, the brief as an internal note, the
    chosen team, type, priority and due date, and links to its parent both ways."""
    warehouse = make_team("Varasto")
    warehouse.members.add(agent)
    parent = make_ticket(subject="Tilaus puuttuu", team=team)
    order = TicketType.objects.get(slug="order")
    form = agent_client.get(reverse("desk:ticket-child-new", args=[parent.number]))
    assert form.status_code == 200 and "Tilaus puuttuu" in form.content.decode()

    response = agent_client.post(
        reverse("desk:ticket-child-new", args=[parent.number]),
        {
            "subject": "Tarkista varastosaldo",
            "team": warehouse.pk,
            "type": order.pk,
            "priority": Priority.HIGH,
            "due_at": "2026-12-10T12:00",
            "brief": "Katsokaa onko tuote hyllyssä.",
        },
    )
    child = Ticket.objects.get(parent=parent)
    assert response.status_code == 302 and response["Location"] == child.get_absolute_url()
    assert child.requester_id == parent.requester_id
    assert child.team == warehouse and child.type == order and child.priority == Priority.HIGH
    assert child.due_at is not None and child.due_at.day == 10
    note = child.messages.get()
    assert note.kind == MessageKind.INTERNAL and "hyllyssä" in note.text
    assert child.events.filter(field="parent", new_value=str(parent.pk)).exists()

    parent_page = agent_client.get(parent.get_absolute_url()).content.decode()
    assert f'data-child="{child.number}"' in parent_page and "Varasto" in parent_page
    child_page = agent_client.get(child.get_absolute_url()).content.decode()
    assert f'href="{parent.get_absolute_url()}"' in child_page and 'id="parent-link"' in child_page

    # The parent cannot be solved while its child is open.
    with pytest.raises(ValidationError):
        actions.update_ticket(parent, actor=agent, via=Via.AGENT, status=Status.SOLVED)


def test_child_needs_a_team_or_an_agent(agent_client, make_ticket, team):
    parent = make_ticket(team=team)
    response = agent_client.post(
        reverse("desk:ticket-child-new", args=[parent.number]),
        {"subject": "Ilman omistajaa", "priority": Priority.NORMAL},
    )
    assert response.status_code == 400
    assert not Ticket.objects.filter(parent=parent).exists()


def test_parent_shown_as_link_only_to_those_who_may_see_it(
    client, make_user, make_team, make_ticket
):
    """A child in an open team under a restricted parent names the parent's number,
    without a link, to an agent outside the restricted team; the parent's page
    tells its members about children they cannot see."""
    secret = make_team("Johto", restricted=True)
    sales = make_team("Myynti")
    insider = make_user(teams=(secret,))
    outsider = make_user(teams=(sales,))
    parent = make_ticket(subject="Salainen ylätiketti", team=secret)
    child = actions.create_child_ticket(
        parent, subject="Myynnin osuus", actor=insider, via=Via.AGENT, team=sales
    )
    hidden = actions.create_child_ticket(
        parent, subject="Toisen tiimin osuus", actor=insider, via=Via.AGENT, team=secret
    )
    client.login(username=outsider.email, password=PASSWORD)
    page = client.get(child.get_absolute_url()).content.decode()
    assert f"#{parent.number}" in page
    assert parent.get_absolute_url() not in page and "Salainen" not in page
    assert client.get(reverse("desk:ticket-child-new", args=[parent.number])).status_code == 404

    # The restricted team's member sees their own child on the parent, and is
    # told that one more open child (the sales one) is out of their sight.
    client.logout()
    client.login(username=insider.email, password=PASSWORD)
    page = client.get(parent.get_absolute_url()).content.decode()
    assert f'data-child="{hidden.number}"' in page
    assert f'data-child="{child.number}"' not in page and "Myynnin osuus" not in page
    assert 'data-hidden-open="1"' in page


def test_closed_parent_gets_no_child(agent, make_ticket, team):
    parent = make_ticket(team=team)
    actions.update_ticket(parent, actor=agent, via=Via.AGENT, status=Status.CLOSED)
    with pytest.raises(ValidationError):
        actions.create_child_ticket(parent, subject="x", actor=agent, via=Via.AGENT, team=team)
