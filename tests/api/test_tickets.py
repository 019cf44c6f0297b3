"""Tickets through the API: the inbox filters, search, create, read, update, merge."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.accounts.models import Role
from tiski.tickets import actions
from tiski.tickets.models import Event, Ticket, TicketMerge, TicketType, Via


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["data"]]


def test_list_filters_like_the_inbox(api_for, make_user, make_team, make_ticket):
    team = make_team()
    agent = make_user(teams=(team,))
    kind = TicketType.objects.create(slug="tilaus", name_fi="Tilaus", name_en="Order")
    mine = make_ticket(subject="Minun", assignee=agent, team=team, priority="high", tags=["vip"])
    typed = make_ticket(subject="Tyypitetty", type=kind, team=team)
    solved = make_ticket(subject="Ratkaistu")
    actions.update_ticket(solved, actor=None, via=Via.SYSTEM, status="solved")
    api = api_for(agent)
    assert set(numbers(api.get("/api/v1/tickets"))) == {mine.number, typed.number, solved.number}
    assert numbers(api.get("/api/v1/tickets", {"assignee": "me"})) == [mine.number]
    assert numbers(api.get("/api/v1/tickets", {"priority": "high"})) == [mine.number]
    assert numbers(api.get("/api/v1/tickets", {"tag": "vip"})) == [mine.number]
    assert numbers(api.get("/api/v1/tickets", {"type": "tilaus"})) == [typed.number]
    assert numbers(api.get("/api/v1/tickets", {"status": "solved"})) == [solved.number]
    assert set(numbers(api.get("/api/v1/tickets", {"team": str(team.pk)}))) == {
        mine.number,
        typed.number,
    }
    assert numbers(api.get("/api/v1/tickets", {"view": "mine"})) == [mine.number]


def test_search_query_language(api_for, admin_user, make_ticket):
    a = make_ticket(subject="Lasku", priority="urgent")
    make_ticket(subject="Toinen", priority="low")
    api = api_for(admin_user)
    assert numbers(api.get("/api/v1/tickets", {"q": "priority:urgent"})) == [a.number]
    bad = api.get("/api/v1/tickets", {"q": 'subject:"unclosed'})
    assert bad.status_code in (200, 400)


def test_create_ticket_through_the_actions(api_for, make_user, make_team):
    team = make_team()
    agent = make_user(teams=(team,))
    api = api_for(agent)
    response = api.post(
        "/api/v1/tickets",
        {
            "subject": "Verkkokaupan tilaus 123",
            "requester_email": "Liisa@Example.com",
            "requester_name": "Liisa Lahti",
            "text": "Tilaus ei näy.",
            "team_id": team.pk,
            "priority": "high",
            "tags": ["verkkokauppa"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    assert response["Location"].endswith(f"/api/v1/tickets/{ticket.number}")
    assert ticket.channel == "api" and ticket.team == team and ticket.priority == "high"
    assert body["tags"] == ["verkkokauppa"]
    assert ticket.requester.identities.get().value == "liisa@example.com"
    created = Event.objects.get(ticket=ticket, kind="created")
    assert created.via == "api" and created.actor == agent
    assert ticket.messages.get().text == "Tilaus ei näy."


def test_create_validation_errors_name_the_field(api_for, make_user):
    api = api_for(make_user())
    response = api.post("/api/v1/tickets", {"subject": "", "requester_email": "a@b.fi"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and "subject" in body["fields"]
    response = api.post(
        "/api/v1/tickets", {"subject": "x", "team_id": 999999, "requester_email": "a@b.fi"}
    )
    assert response.status_code == 422 and "team_id" in response.json()["fields"]
    response = api.post("/api/v1/tickets", {"subject": "x"})
    assert response.status_code == 422 and "requester_id" in response.json()["fields"]


def test_update_writes_events_and_etag_guards_it(api_for, admin_user, make_ticket):
    ticket = make_ticket()
    api = api_for(admin_user)
    read = api.get(f"/api/v1/tickets/{ticket.number}")
    etag = read["ETag"]
    assert api.get(f"/api/v1/tickets/{ticket.number}", HTTP_IF_NONE_MATCH=etag).status_code in (
        200,
        304,
    )
    response = api.patch(
        f"/api/v1/tickets/{ticket.number}",
        {"priority": "urgent", "tags": ["a", "b"], "status": "pending"},
        **{"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] != etag
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status) == ("urgent", "pending")
    assert set(ticket.tags.values_list("name", flat=True)) == {"a", "b"}
    assert Event.objects.filter(ticket=ticket, via="api", field="priority").exists()
    # The old version is gone: the same If-Match is now refused.
    stale = api.patch(f"/api/v1/tickets/{ticket.number}", {"priority": "low"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert stale["ETag"] == response["ETag"]
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_closed_ticket_refuses_changes_as_a_json_error(api_for, admin_user, make_ticket):
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, status="closed")
    response = api_for(admin_user).patch(f"/api/v1/tickets/{ticket.number}", {"priority": "low"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_merge(api_for, admin_user, make_ticket):
    source, target = make_ticket(subject="Kopio"), make_ticket(subject="Alkuperäinen")
    api = api_for(admin_user)
    response = api.post(f"/api/v1/tickets/{source.number}/merge", {"target": target.number})
    assert response.status_code == 200, response.content
    assert response.json()["number"] == target.number
    merge = TicketMerge.objects.get()
    assert (merge.source, merge.target, merge.via) == (source, target, "api")
    again = api.post(f"/api/v1/tickets/{source.number}/merge", {"target": target.number})
    assert again.status_code == 422


def test_light_agent_cannot_merge(api_for, make_user, make_ticket):
    source, target = make_ticket(), make_ticket()
    api = api_for(make_user(role=Role.LIGHT_AGENT))
    response = api.post(f"/api/v1/tickets/{source.number}/merge", {"target": target.number})
    assert response.status_code == 403
    assert not TicketMerge.objects.exists()


def test_include_and_fields_without_n_plus_one(api_for, admin_user, make_ticket):
    api = api_for(admin_user)
    make_ticket(tags=["x"])
    api.get("/api/v1/tickets")  # the token's first use writes last_used_at once
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/v1/tickets", {"include": "requester,last_message"}).status_code == 200
    for _ in range(9):
        make_ticket(tags=["x", "y"])
    with CaptureQueriesContext(connection) as many:
        response = api.get("/api/v1/tickets", {"include": "requester,last_message"})
    assert len(response.json()["data"]) == 10
    assert len(many) == len(few)
    first = response.json()["data"][0]
    assert first["requester"]["identities"][0]["kind"] == "email"
    assert first["last_message"]["text"]
    sparse = api.get("/api/v1/tickets", {"fields": "number,status"}).json()["data"][0]
    assert set(sparse) == {"number", "status"}
    assert api.get("/api/v1/tickets", {"fields": "number,secret"}).status_code == 400


def test_pagination_is_stable_under_concurrent_inserts(api_for, admin_user, make_ticket):
    made = [make_ticket(subject=f"T{i}") for i in range(5)]
    api = api_for(admin_user)
    first = api.get("/api/v1/tickets", {"limit": 2}).json()
    seen = [t["number"] for t in first["data"]]
    # Tickets arriving while the client pages must not shift the pages.
    make_ticket(subject="Uusi 1")
    make_ticket(subject="Uusi 2")
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/api/v1/tickets", {"limit": 2, "cursor": cursor}).json()
        seen += [t["number"] for t in page["data"]]
        cursor = page["next_cursor"]
    assert seen == [t.number for t in reversed(made)]
    assert api.get("/api/v1/tickets", {"cursor": "garbage"}).status_code == 400
    assert api.get("/api/v1/tickets", {"limit": 1000}).status_code == 400


def test_updated_since_exports_oldest_first(api_for, admin_user, make_ticket):
    old = make_ticket(subject="Vanha")
    newer = make_ticket(subject="Uudempi")
    api = api_for(admin_user)
    since = old.updated_at.isoformat()
    assert numbers(api.get("/api/v1/tickets", {"updated_since": since})) == [
        old.number,
        newer.number,
    ]
    actions.update_ticket(old, actor=None, via=Via.SYSTEM, priority="high")
    after = newer.updated_at.isoformat()
    assert numbers(api.get("/api/v1/tickets", {"updated_since": after}))[-1] == old.number
