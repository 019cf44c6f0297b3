"""Side conversations through the API: the desk's rules, scopes and visibility."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Role
from tiski.api.models import Scope
from tiski.connectors.models import OutboundEmail, OutboundKind, SideConversation

BASE = "/api/v1/tickets/{n}/side-conversations"


@pytest.fixture
def team_ticket(make_team, make_ticket):
    team = make_team()
    return team, make_ticket(subject="Toimitus myöhässä", team=team)


def start(api, ticket, **extra):
    body = {
        "to": ["tilaukset@toimittaja.example"],
        "subject": "Toimituksen 4411 tila",
        "text": "Missä lähetys 4411 on?",
        **extra,
    }
    return api.post(BASE.format(n=ticket.number), body)


def test_start_list_read_reply_and_close(api_for, make_user, team_ticket, mailbox):
    team, ticket = team_ticket
    api = api_for(make_user(teams=(team,)))
    made = start(api, ticket, cc=["varasto@toimittaja.example"])
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["ticket"] == ticket.number and body["status"] == "open"
    assert body["to"] == ["tilaukset@toimittaja.example"]
    assert [m["text"] for m in body["messages"]] == ["Missä lähetys 4411 on?"]
    mail = OutboundEmail.objects.get(kind=OutboundKind.SIDE)
    assert mail.ticket_id is None and mail.to == ["tilaukset@toimittaja.example"]
    # Nothing reaches the customer's thread.
    assert not ticket.messages.filter(text__contains="4411").exists()

    listed = api.get(BASE.format(n=ticket.number)).json()
    assert [(c["id"], c["message_count"]) for c in listed["data"]] == [(body["id"], 1)]
    assert "messages" not in listed["data"][0] or listed["data"][0]["messages"] is None

    url = BASE.format(n=ticket.number) + f"/{body['id']}"
    replied = api.post(url + "/messages", {"text": "Onko uutisia?"})
    assert replied.status_code == 201
    assert [m["text"] for m in replied.json()["messages"]] == [
        "Missä lähetys 4411 on?",
        "Onko uutisia?",
    ]
    closed = api.post(url + "/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert api.get(url).json()["message_count"] == 2


def test_bad_input_is_a_field_error_and_sends_nothing(api_for, make_user, team_ticket, mailbox):
    team, ticket = team_ticket
    api = api_for(make_user(teams=(team,)))
    bad_address = start(api, ticket, to=["ei osoite"])
    assert bad_address.status_code == 422
    assert "to" in bad_address.json()["fields"]
    empty = start(api, ticket, text="")
    assert empty.status_code == 422 and "text" in empty.json()["fields"]
    assert not SideConversation.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_without_a_mailbox_it_is_refused_clearly(api_for, admin_user, make_ticket):
    ticket = make_ticket()
    response = start(api_for(admin_user), ticket)
    assert response.status_code == 422
    assert response.json()["message"]
    assert not SideConversation.objects.exists()


def test_scopes_light_agents_and_other_teams(api_for, make_user, make_team, team_ticket, mailbox):
    team, ticket = team_ticket
    writer = api_for(make_user(teams=(team,)))
    conversation_id = start(writer, ticket).json()["id"]
    url = BASE.format(n=ticket.number)

    reader = api_for(make_user(teams=(team,)), scope=Scope.READ)
    assert reader.get(url).status_code == 200
    refused = reader.post(url + f"/{conversation_id}/messages", {"text": "x"})
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"

    light = api_for(make_user(role=Role.LIGHT_AGENT, teams=(team,)))
    assert light.get(url + f"/{conversation_id}").status_code == 200
    assert light.post(url + f"/{conversation_id}/messages", {"text": "x"}).status_code == 403
    assert start(light, ticket).status_code == 403

    outsider = api_for(make_user(teams=(make_team(restricted=True),)))
    secret_team = make_team(restricted=True)
    hidden = ticket.__class__.objects.get(pk=ticket.pk)
    hidden.team = secret_team
    hidden.save(update_fields=["team"])
    for response in (
        outsider.get(url),
        outsider.get(url + f"/{conversation_id}"),
        outsider.post(url + f"/{conversation_id}/messages", {"text": "x"}),
        outsider.post(url + f"/{conversation_id}/close"),
        start(outsider, ticket),
    ):
        assert response.status_code == 404, response.content
    assert SideConversation.objects.get().messages.count() == 1


def test_a_conversation_is_reached_only_through_its_ticket(
    api_for, admin_user, make_ticket, mailbox
):
    api = api_for(admin_user)
    first, second = make_ticket(), make_ticket()
    conversation_id = start(api, first).json()["id"]
    wrong = BASE.format(n=second.number) + f"/{conversation_id}"
    assert api.get(wrong).status_code == 404
    assert api.post(wrong + "/messages", {"text": "x"}).status_code == 404
