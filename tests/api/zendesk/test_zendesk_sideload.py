"""include=users,groups,organizations: each once, beside the tickets, in fixed queries."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.customers.actions import save_organisation
from tiski.search.indexing import index_tickets


def _tickets(make_team, make_user, make_contact, make_ticket, count: int):
    team = make_team("Tuki")
    agent = make_user(teams=(team,))
    org = save_organisation(None, actor=None, name="Yritys Oy")
    made = []
    for n in range(count):
        requester = make_contact(email=f"asiakas{n}@yritys.fi", organisation=org)
        made.append(make_ticket(subject=f"Tilaus {n}", requester=requester, team=team))
        made[-1].assignee = agent
        made[-1].save(update_fields=["assignee"])
    return agent, team, org, made


def test_tickets_with_users_groups_and_organizations(
    zendesk_for, make_team, make_user, make_contact, make_ticket
):
    agent, team, org, made = _tickets(make_team, make_user, make_contact, make_ticket, 3)
    zd = zendesk_for(agent)
    listed = zd.get("/api/v2/tickets.json", {"include": "users,groups,organizations"}).json()
    users = {u["id"]: u for u in listed["users"]}
    assert set(users) == {agent.pk} | {END_USER_BASE + t.requester_id for t in made}
    assert users[agent.pk]["role"] == "agent"
    assert users[END_USER_BASE + made[0].requester_id]["email"] == "asiakas0@yritys.fi"
    assert [g["id"] for g in listed["groups"]] == [team.pk]  # each once
    assert [o["name"] for o in listed["organizations"]] == ["Yritys Oy"]
    shown = zd.get(f"/api/v2/tickets/{made[0].number}.json", {"include": "users"}).json()
    assert {u["id"] for u in shown["users"]} == {agent.pk, END_USER_BASE + made[0].requester_id}
    assert "groups" not in shown
    many = zd.get(
        "/api/v2/tickets/show_many.json",
        {"ids": ",".join(str(t.number) for t in made[:2]), "include": "groups"},
    ).json()
    assert [g["name"] for g in many["groups"]] == ["Tuki"]
    plain = zd.get("/api/v2/tickets.json").json()
    assert "users" not in plain and "groups" not in plain


def test_search_reads_zendesks_tickets_include(
    zendesk_for, make_team, make_user, make_contact, make_ticket
):
    agent, _team, org, made = _tickets(make_team, make_user, make_contact, make_ticket, 2)
    index_tickets([t.pk for t in made])
    found = zendesk_for(agent).get(
        "/api/v2/search.json", {"query": "type:ticket Tilaus", "include": "tickets(organizations)"}
    )
    assert [o["id"] for o in found.json()["organizations"]] == [org.pk]


def test_side_loads_cost_the_same_for_one_ticket_and_for_many(
    zendesk_for, make_team, make_user, make_contact, make_ticket
):
    agent, _team, _org, made = _tickets(make_team, make_user, make_contact, make_ticket, 6)
    zd = zendesk_for(agent)
    include = {"include": "users,groups,organizations"}

    def queries(per_page: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = zd.get("/api/v2/tickets.json", {**include, "per_page": str(per_page)})
        assert len(answer.json()["tickets"]) == per_page
        return len(captured)

    queries(1)  # the token's first use of the minute writes its "last used" once
    assert queries(1) == queries(6)
