"""Escalation (event, rule trigger and condition, view, notice) and the parent's
life with child tickets (solve refused, admin override recorded, last child solved)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.rules.helpers import assert_does_not_fire, assert_fires
from tiski.accounts.models import Role
from tiski.notifications.models import Kind, unread_for
from tiski.notifications.services import is_following
from tiski.rules.models import Trigger
from tiski.tickets import actions
from tiski.tickets.models import Event, Status, Via


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def teams(make_team, make_user):
    tuki, seniorit = make_team("Tuki"), make_team("Seniorit")
    agent = make_user(name="Aino Agentti", teams=(tuki,), language="en")
    lead = make_user(name="Liisa Lead", teams=(seniorit,), language="en")
    seniorit.leads.add(lead)
    return {"tuki": tuki, "seniorit": seniorit, "agent": agent, "lead": lead}


def test_escalating_to_a_lead_records_the_event_and_tells_the_lead(
    teams, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket(subject="Vihainen asiakas", team=teams["tuki"])
    Trigger.objects.create(
        name="Eskaloitu kiireelliseksi",
        events=["escalated"],
        conditions={"all": [{"type": "escalated", "escalated": True}]},
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(teams["agent"]).post(
            reverse("desk:ticket-escalate", args=[ticket.number]),
            {
                "to": f"lead:{teams['seniorit'].pk}:{teams['lead'].pk}",
                "reason": "Asiakas vaatii hyvitystä",
            },
        )
    # The agent is not in Seniorit: the ticket left their sight.
    assert response.status_code == 302 and response["Location"] == reverse("desk:inbox")
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    assert ticket.assignee == teams["lead"] and ticket.team == teams["seniorit"]
    event = Event.objects.get(ticket=ticket, field="escalation_level")
    assert event.meta["reason"] == "Asiakas vaatii hyvitystä"
    assert event.actor == teams["agent"]
    # The rule answered the "escalated" event.
    assert ticket.priority == "urgent"
    # The lead hears of it once (no separate "assigned to you"), and follows
    # (so the rule's change after it reaches them as a follower).
    kinds = list(unread_for(teams["lead"]).values_list("kind", flat=True))
    assert kinds.count(Kind.ESCALATED) == 1 and Kind.ASSIGNED not in kinds
    notice = unread_for(teams["lead"]).get(kind=Kind.ESCALATED)
    with translation.override("en"):
        assert "Asiakas vaatii hyvitystä" in notice.message
    assert is_following(teams["lead"], ticket.pk)
    # The Escalated view lists it for the lead.
    page = _client(teams["lead"]).get(reverse("desk:inbox"), {"view": "escalated"})
    assert "Vihainen asiakas" in page.content.decode()


def test_escalation_needs_a_reason(teams, make_ticket):
    ticket = make_ticket(team=teams["tuki"])
    with pytest.raises(ValidationError):
        actions.escalate(
            ticket, actor=teams["agent"], via=Via.AGENT, reason=" ", to_team=teams["seniorit"]
        )
    ticket.refresh_from_db()
    assert ticket.escalation_level == 0


def test_escalated_condition(teams, make_ticket):
    ticket = make_ticket(team=teams["tuki"])
    rule = {"all": [{"type": "escalated", "escalated": True}]}
    assert_does_not_fire(rule, ticket)
    actions.escalate(
        ticket, actor=teams["agent"], via=Via.AGENT, reason="Hankala", to_team=teams["seniorit"]
    )
    ticket.refresh_from_db()
    assert_fires(rule, ticket)
    assert_does_not_fire({"all": [{"type": "escalated", "escalated": False}]}, ticket)


def test_parent_cannot_be_solved_while_a_child_is_open(
    make_user, make_ticket, django_capture_on_commit_callbacks
):
    """Refused with the child's number; an admin's override is recorded; when the
    last child is solved the parent's assignee is told and the rule event fires."""
    agent = make_user(name="Aino Agentti", language="en")
    admin = make_user(role=Role.ADMIN, name="Anna Admin")
    parent = make_ticket(subject="Iso tilaus", assignee=agent)
    child = actions.create_child_ticket(parent, subject="Hyvitys", actor=agent, via=Via.AGENT)
    second = actions.create_child_ticket(parent, subject="Varasto", actor=agent, via=Via.AGENT)

    response = _client(agent).post(
        reverse("desk:ticket-update", args=[parent.number]),
        {"status": "solved", "priority": "normal", "assignee": agent.pk, "tags": ""},
    )
    assert response.status_code == 400
    assert f"child tickets are open (#{child.number}, #{second.number})" in (
        response.content.decode()
    )
    parent.refresh_from_db()
    assert parent.status != Status.SOLVED

    # The override is for admins only.
    with pytest.raises(PermissionDenied):
        actions.update_ticket(
            parent, actor=agent, via=Via.AGENT, status="solved", override_open_children=True
        )
    page = _client(admin).get(reverse("desk:ticket", args=[parent.number])).content.decode()
    assert 'id="solve-override"' in page
    assert 'id="solve-override"' not in (
        _client(agent).get(reverse("desk:ticket", args=[parent.number])).content.decode()
    )

    Trigger.objects.create(
        name="Lapset valmiina",
        events=["children_solved"],
        conditions={},
        actions=[{"type": "add_tags", "tags": ["lapset-valmiina"]}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(child, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    assert not Event.objects.filter(ticket=parent, field="children_solved").exists()
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(second, actor=admin, via=Via.AGENT, status=Status.SOLVED)
    assert Event.objects.filter(ticket=parent, field="children_solved").count() == 1
    (notice,) = unread_for(agent)
    assert notice.kind == Kind.CHILDREN_SOLVED
    with translation.override("en"):
        assert notice.message == f"Every child ticket of #{parent.number} is solved."
    assert "lapset-valmiina" in parent.tags.values_list("name", flat=True)


def test_admin_override_is_recorded(make_user, make_ticket):
    admin = make_user(role=Role.ADMIN, name="Anna Admin", language="en")
    parent = make_ticket(subject="Iso tilaus")
    child = actions.create_child_ticket(parent, subject="Hyvitys", actor=admin, via=Via.AGENT)
    response = _client(admin).post(reverse("desk:ticket-solve-override", args=[parent.number]))
    assert response.status_code == 302
    parent.refresh_from_db()
    assert parent.status == Status.SOLVED
    event = Event.objects.get(ticket=parent, field="solve_override")
    assert event.actor == admin and event.meta["open_children"] == [child.number]
    page = _client(admin).get(reverse("desk:ticket", args=[parent.number])).content.decode()
    assert f"although its child tickets #{child.number} were open" in page


def test_an_admin_marks_team_leads_who_are_then_members(admin_user, make_user, make_team):
    team = make_team("Tuki")
    lead = make_user(name="Liisa Lead")
    response = _client(admin_user).post(
        reverse("setup:team-edit", args=[team.pk]),
        {"name": "Tuki", "leads": [lead.pk], "routing": "manual", "max_open_per_agent": 0},
    )
    assert response.status_code == 302
    assert list(team.leads.all()) == [lead] and list(team.members.all()) == [lead]


def test_a_bulk_solve_of_the_children_tells_the_parent_once(make_user, make_ticket):
    agent = make_user(name="Aino Agentti")
    parent = make_ticket(subject="Iso tilaus", assignee=agent)
    children = [
        actions.create_child_ticket(parent, subject=f"Osa {n}", actor=agent, via=Via.AGENT)
        for n in (1, 2)
    ]
    actions.bulk_update_tickets(
        children, actor=agent, via=Via.AGENT, fields={"status": Status.SOLVED}
    )
    assert Event.objects.filter(ticket=parent, field="children_solved").count() == 1


def test_the_escalations_report_counts_by_team_and_type(
    teams, admin_user, make_ticket, django_capture_on_commit_callbacks
):
    from tiski.reports import metrics, periods

    # After commit: the report facts of each ticket are written.
    with django_capture_on_commit_callbacks(execute=True):
        for subject in ("Hyvitys", "Toinen hyvitys"):
            ticket = make_ticket(subject=subject, team=teams["tuki"])
            actions.escalate(
                ticket, actor=teams["agent"], via=Via.AGENT, reason="Iso", to_team=teams["seniorit"]
            )
        other = make_ticket(team=teams["tuki"])
        actions.escalate(
            other, actor=teams["agent"], via=Via.AGENT, reason="x", to_team=teams["tuki"]
        )
    page = _client(admin_user).get(reverse("reports:escalations"))
    assert page.status_code == 200 and "Seniorit" in page.content.decode()
    scope = metrics.Scope(user=admin_user, period=periods.preset("today"))
    result = metrics.run("escalations", scope)
    assert result.summary[0].value.value == 3
    by_team = {row[0].value: row[1].value for row in result.table("by_team").rows}
    assert by_team == {"Seniorit": 2, "Tuki": 1}
