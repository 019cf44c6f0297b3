"""Tickets through /api/v2/: create, update with comments, statuses, errors, audits."""

from __future__ import annotations

from django.core import mail

from tiski.accounts.models import Role
from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Ticket, Via


def post_ticket(zd, ticket: dict):
    return zd.post("/api/v2/tickets.json", {"ticket": ticket})


def test_create_with_requester_comment_and_fields(
    zendesk_for, make_user, make_team, mailbox, django_capture_on_commit_callbacks
):
    team = make_team("Laskutus")
    agent = make_user(teams=(team,))
    with django_capture_on_commit_callbacks(execute=True):
        created = post_ticket(
            zendesk_for(agent),
            {
                "subject": "Lasku 4411",
                "comment": {"body": "Summa on väärin.", "public": True},
                "requester": {"name": "Pekka Puro", "email": "pekka@example.fi"},
                "priority": "urgent",
                "status": "open",
                "group_id": team.pk,
                "assignee_id": agent.pk,
                "tags": ["lasku", "vip"],
                "custom_fields": [{"id": 360001, "value": "x"}],  # ignored, not refused
            },
        )
    assert created.status_code == 201, created.content
    body = created.json()
    ticket = Ticket.objects.get(number=body["ticket"]["id"])
    assert created["Location"].endswith(f"/api/v2/tickets/{ticket.number}.json")
    assert (ticket.subject, ticket.priority, ticket.status) == ("Lasku 4411", "urgent", "open")
    assert (ticket.team, ticket.assignee) == (team, agent)
    assert sorted(t.name for t in ticket.tags.all()) == ["lasku", "vip"]
    assert body["ticket"]["requester_id"] == END_USER_BASE + ticket.requester_id
    assert body["ticket"]["description"] == "Summa on väärin."
    # Zendesk: the submitter (the token's agent) writes the first comment. A
    # public one is the agent's reply, mailed to the requester as Zendesk's
    # "proactive ticket" notification does.
    first = ticket.messages.get()
    assert (first.kind, first.author_user) == (MessageKind.PUBLIC, agent)
    assert body["audit"]["events"][0]["type"] == "Comment"
    assert body["audit"]["events"][0]["author_id"] == agent.pk
    assert body["ticket"]["submitter_id"] == agent.pk
    assert {e["field_name"] for e in body["audit"]["events"][1:]} >= {"status", "priority"}
    assert [m.to for m in mail.outbox] == [["pekka@example.fi"]]
    assert "Summa on väärin." in mail.outbox[0].body


def test_first_comment_is_the_requesters_when_named_as_its_author(
    zendesk_for, make_user, make_contact, mailbox, django_capture_on_commit_callbacks
):
    liisa = make_contact(email="liisa@example.fi")
    zd = zendesk_for(make_user())
    for ticket in (
        {"comment": {"body": "Tilaus ei tullut", "author_id": END_USER_BASE + liisa.pk}},
        {"comment": {"body": "Tilaus ei tullut"}, "submitter_id": END_USER_BASE + liisa.pk},
    ):
        ticket = {**ticket, "subject": "Tilaus", "requester_id": END_USER_BASE + liisa.pk}
        with django_capture_on_commit_callbacks(execute=True):
            created = post_ticket(zd, ticket)
        assert created.status_code == 201, created.content
        first = Ticket.objects.get(number=created.json()["ticket"]["id"]).messages.get()
        assert (first.kind, first.author_contact) == (MessageKind.CUSTOMER, liisa)
        assert created.json()["audit"]["events"][0]["author_id"] == END_USER_BASE + liisa.pk
        assert created.json()["ticket"]["submitter_id"] == END_USER_BASE + liisa.pk
    assert not mail.outbox  # the customer's own words are not mailed back


def test_without_a_requester_the_caller_is_requester_and_author(
    zendesk_for, make_user, mailbox, django_capture_on_commit_callbacks
):
    agent = make_user(email="aino@tiski.example")
    with django_capture_on_commit_callbacks(execute=True):
        created = post_ticket(
            zendesk_for(agent), {"subject": "Oma", "comment": {"body": "Muistutus"}}
        )
    ticket = Ticket.objects.get(number=created.json()["ticket"]["id"])
    assert ticket.requester.emails == ["aino@tiski.example"]
    assert ticket.messages.get().kind == MessageKind.CUSTOMER
    assert not mail.outbox


def test_a_comment_cannot_be_written_as_someone_else(
    zendesk_for, make_user, make_contact, make_ticket, mailbox, django_capture_on_commit_callbacks
):
    agent, colleague = make_user(), make_user()
    liisa, other = make_contact(email="liisa@example.fi"), make_contact(email="muu@example.fi")
    zd = zendesk_for(agent)
    for author in (colleague.pk, END_USER_BASE + other.pk, "x"):
        refused = zd.post(
            "/api/v2/tickets.json",
            {
                "ticket": {
                    "subject": "x",
                    "requester_id": END_USER_BASE + liisa.pk,
                    "comment": {"body": "y", "author_id": author},
                }
            },
        )
        assert refused.status_code == 422 and "comment.author_id" in refused.json()["details"]
    assert not Ticket.objects.exists()
    # On an update the requester's words, relayed by an integration, are theirs.
    ticket = make_ticket(requester=liisa)
    relay = {"comment": {"body": "Vielä yksi asia", "author_id": END_USER_BASE + liisa.pk}}
    with django_capture_on_commit_callbacks(execute=True):
        zd.put(f"/api/v2/tickets/{ticket.number}.json", {"ticket": relay})
    relayed = ticket.messages.get(text="Vielä yksi asia")
    assert (relayed.kind, relayed.author_contact) == (MessageKind.CUSTOMER, liisa)
    assert not mail.outbox


def test_create_private_comment_without_subject_and_as_known_requester(
    zendesk_for, make_user, make_contact
):
    liisa = make_contact(email="liisa@example.fi")
    created = zendesk_for(make_user()).post(
        "/api/v2/tickets",
        {
            "ticket": {
                "comment": {"body": "Soitti: kortti ei käy\nlisää tekstiä", "public": False},
                "requester_id": END_USER_BASE + liisa.pk,
            }
        },
    )
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(number=created.json()["ticket"]["id"])
    assert ticket.subject == "Soitti: kortti ei käy" and ticket.requester == liisa
    assert ticket.messages.get().kind == MessageKind.INTERNAL


def test_create_refusals_name_the_field(zendesk_for, make_user):
    zd = zendesk_for(make_user())
    for ticket, field in (
        ({"subject": "x"}, "comment"),
        ({"subject": "x", "comment": {"body": "y"}, "requester_id": 5}, "requester_id"),
        ({"subject": "x", "comment": {"body": "y"}, "status": "deleted"}, "status"),
        ({"subject": "x", "comment": {"body": "y"}, "priority": "p1"}, "priority"),
        ({"subject": "x", "comment": {"body": "y"}, "group_id": 999999}, "group_id"),
        (
            {"subject": "x", "comment": {"body": "y"}, "assignee_id": END_USER_BASE + 1},
            "assignee_id",
        ),
        ({"subject": "x", "comment": {"body": "  "}}, "comment"),
        ({"subject": "x", "comment": {"body": "y"}, "tags": "ok", "due_at": "huomenna"}, "due_at"),
    ):
        refused = zd.post("/api/v2/tickets.json", {"ticket": ticket})
        assert refused.status_code == 422, (ticket, refused.content)
        body = refused.json()
        assert body["error"] == "RecordInvalid"
        assert field in body["details"], body
        assert body["details"][field][0]["description"]
    assert zd.post("/api/v2/tickets.json", {"subject": "no ticket root"}).status_code == 422
    assert not Ticket.objects.exists()


def test_update_status_priority_assignee_group_tags_and_comments(
    zendesk_for, make_user, make_team, make_ticket, mailbox
):
    team, other = make_team(), make_team()
    agent = make_user(teams=(team, other))
    ticket = make_ticket(team=team, tags=["vanha", "pois"])
    zd = zendesk_for(agent)
    url = f"/api/v2/tickets/{ticket.number}.json"
    updated = zd.put(
        url,
        {
            "ticket": {
                "status": "pending",
                "priority": "high",
                "assignee_id": agent.pk,
                "group_id": other.pk,
                "additional_tags": ["uusi"],
                "remove_tags": ["pois"],
                "comment": {"body": "Lähetimme uuden paketin.", "public": True},
            }
        },
    )
    assert updated.status_code == 200, updated.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee, ticket.team) == (
        "pending",
        "high",
        agent,
        other,
    )
    assert sorted(t.name for t in ticket.tags.all()) == ["uusi", "vanha"]
    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert reply.text == "Lähetimme uuden paketin." and reply.author_user == agent
    assert ticket.events.filter(via=Via.API, field="status").exists()
    changes = {e["field_name"]: e for e in updated.json()["audit"]["events"][1:]}
    assert changes["status"]["previous_value"] == "new" and changes["status"]["value"] == "pending"
    assert changes["group"]["value"] == other.pk

    held = zd.put(url, {"ticket": {"status": "hold", "assignee_id": None, "tags": ["vain"]}})
    assert held.json()["ticket"]["status"] == "hold"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("on_hold", None)
    assert [t.name for t in ticket.tags.all()] == ["vain"]

    noted = zd.put(url, {"ticket": {"comment": {"body": "Sisäinen", "public": False}}})
    assert noted.status_code == 200
    assert ticket.messages.get(text="Sisäinen").kind == MessageKind.INTERNAL
    comments = zd.get(f"/api/v2/tickets/{ticket.number}/comments.json").json()["comments"]
    assert [c["public"] for c in comments] == [True, True, False]
    assert comments[0]["author_id"] == END_USER_BASE + ticket.requester_id
    newest = zd.get(f"/api/v2/tickets/{ticket.number}/comments", {"sort_order": "desc"}).json()
    assert newest["comments"][0]["body"] == "Sisäinen"


def test_public_comment_without_mailbox_is_refused_whole(zendesk_for, make_user, make_ticket):
    ticket = make_ticket()
    refused = zendesk_for(make_user()).put(
        f"/api/v2/tickets/{ticket.number}.json",
        {"ticket": {"status": "solved", "comment": {"body": "Kukaan ei saa tätä"}}},
    )
    assert refused.status_code == 422 and "comment" in refused.json()["details"]
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 1


def test_light_agent_public_comment_is_403_and_changes_nothing(
    zendesk_for, make_user, make_team, make_ticket, mailbox
):
    team = make_team()
    expert = make_user(role=Role.LIGHT_AGENT, teams=(team,))
    ticket = make_ticket(team=team)
    zd = zendesk_for(expert)
    refused = zd.put(
        f"/api/v2/tickets/{ticket.number}.json",
        {"ticket": {"status": "solved", "comment": {"body": "Asiakkaalle", "public": True}}},
    )
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert not Message.objects.filter(kind=MessageKind.PUBLIC).exists()
    assert not mail.outbox
    me = zd.get("/api/v2/users/me.json").json()["user"]
    assert me["only_private_comments"] is True


def test_closed_ticket_and_unknown_ticket(zendesk_for, make_user, make_ticket):
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, status="closed")
    # Descriptions follow the user's language; this one works in English.
    zd = zendesk_for(make_user(role=Role.ADMIN, language="en"))
    refused = zd.put(f"/api/v2/tickets/{ticket.number}.json", {"ticket": {"priority": "low"}})
    assert refused.status_code == 422 and refused.json()["error"] == "RecordInvalid"
    missing = zd.get("/api/v2/tickets/999999.json")
    assert missing.status_code == 404
    assert missing.json() == {"error": "RecordNotFound", "description": "Not found"}
    finnish = zendesk_for(make_user(role=Role.ADMIN, language="fi")).get("/api/v2/tickets/9.json")
    assert finnish.json() == {"error": "RecordNotFound", "description": "Ei löytynyt"}


def test_safe_update_refuses_a_stale_copy(zendesk_for, admin_user, make_ticket):
    ticket = make_ticket()
    zd = zendesk_for(admin_user)
    url = f"/api/v2/tickets/{ticket.number}.json"
    stamp = zd.get(url).json()["ticket"]["updated_at"]
    stale = zd.put(
        url,
        {
            "ticket": {
                "priority": "low",
                "safe_update": True,
                "updated_stamp": "2001-01-01T00:00:00Z",
            }
        },
    )
    assert stale.status_code == 409 and stale.json()["error"] == "UpdateConflict"
    fresh = zd.put(
        url, {"ticket": {"priority": "low", "safe_update": True, "updated_stamp": stamp}}
    )
    assert fresh.status_code == 200 and fresh.json()["ticket"]["priority"] == "low"


def test_statuses_map_both_ways(zendesk_for, admin_user, make_ticket):
    ticket = make_ticket()
    zd = zendesk_for(admin_user)
    url = f"/api/v2/tickets/{ticket.number}.json"
    for zendesk, tiski in (
        ("open", "open"),
        ("hold", "on_hold"),
        ("pending", "pending"),
        ("solved", "solved"),
    ):
        assert zd.put(url, {"ticket": {"status": zendesk}}).json()["ticket"]["status"] == zendesk
        ticket.refresh_from_db()
        assert ticket.status == tiski
