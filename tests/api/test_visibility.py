"""A token sees exactly what its user sees: every ticket URL, as an agent of another team."""

from __future__ import annotations

from django.core.files.base import ContentFile

from tiski.accounts.models import Role
from tiski.tickets import actions
from tiski.tickets.models import Via


def test_other_teams_and_restricted_tickets_stay_hidden(
    api_for, make_user, make_team, make_ticket, mailbox
):
    sales, secret = make_team(), make_team(restricted=True)
    outsider = make_user(teams=(sales,))
    hidden = make_ticket(subject="Salainen", team=secret, assignee=None)
    # Another team's ticket, not restricted: still not the outsider's to see.
    assigned = make_ticket(subject="Salainen 2", team=make_team())
    message = actions.add_message(
        hidden,
        kind="internal",
        actor=None,
        via=Via.SYSTEM,
        text="liite",
        attachments=[actions.NewAttachment("a.txt", ContentFile(b"x", name="a.txt"), "text/plain")],
    )
    api = api_for(outsider)
    listed = api.get("/api/v1/tickets").json()["data"]
    assert {t["number"] for t in listed}.isdisjoint({hidden.number, assigned.number})
    assert api.get("/api/v1/tickets", {"q": "Salainen"}).json()["data"] == []
    for ticket in (hidden, assigned):
        n = ticket.number
        for response in (
            api.get(f"/api/v1/tickets/{n}"),
            api.get(f"/api/v1/tickets/{n}/messages"),
            api.patch(f"/api/v1/tickets/{n}", {"priority": "low"}),
            api.post(f"/api/v1/tickets/{n}/messages", {"kind": "internal", "text": "x"}),
            api.post(f"/api/v1/tickets/{n}/merge", {"target": n}),
        ):
            assert response.status_code == 404, (response.request, response.content)
            assert response.json()["code"] == "not_found"
    attachment = message.attachments.get()
    assert api.get(f"/api/v1/attachments/{attachment.pk}").status_code == 404
    visible = make_ticket(subject="Näkyvä", team=sales)
    into_hidden = api.post(f"/api/v1/tickets/{visible.number}/merge", {"target": hidden.number})
    assert into_hidden.status_code == 422
    member = make_user(teams=(secret,))
    assert api_for(member).get(f"/api/v1/tickets/{hidden.number}").status_code == 200


def test_view_counts_are_the_users_own(api_for, make_user, make_team, make_ticket):
    team, other = make_team(), make_team(restricted=True)
    agent = make_user(teams=(team,))
    make_ticket(team=team, assignee=agent)
    make_ticket(team=other)
    views = {v["key"]: v for v in api_for(agent).get("/api/v1/views").json()}
    assert views["mine"]["count"] == 1
    assert views["open"]["count"] == 1
    assert f"team-{other.pk}" not in views
    admin_views = {
        v["key"]: v for v in api_for(make_user(role=Role.ADMIN)).get("/api/v1/views").json()
    }
    assert admin_views["open"]["count"] == 2


def test_bulk_skips_what_the_user_cannot_see(
    api_for, make_user, make_team, make_ticket, django_capture_on_commit_callbacks
):
    team, secret = make_team(), make_team(restricted=True)
    agent = make_user(teams=(team,))
    mine, hidden = make_ticket(team=team), make_ticket(team=secret)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(agent).post(
            "/api/v1/tickets/bulk", {"tickets": [mine.number, hidden.number], "priority": "urgent"}
        )
    assert response.status_code == 202
    job = api_for(agent).get(response["Location"]).json()
    assert job["status"] == "done"
    assert job["changed"] == [mine.number]
    assert str(hidden.number) in job["skipped"]
    hidden.refresh_from_db()
    assert hidden.priority == "normal"


def test_tags_of_hidden_tickets_are_not_listed(api_for, make_user, make_team, make_ticket):
    team, secret = make_team(), make_team(restricted=True)
    make_ticket(team=team, tags=["yleinen"])
    make_ticket(team=secret, tags=["salainen"])
    agent_tags = [t["name"] for t in api_for(make_user(teams=(team,))).get("/api/v1/tags").json()]
    assert agent_tags == ["yleinen"]
    admin_tags = [t["name"] for t in api_for(make_user(role=Role.ADMIN)).get("/api/v1/tags").json()]
    assert admin_tags == ["salainen", "yleinen"]
