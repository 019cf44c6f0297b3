"""Contacts and organisations through customers.actions; users, teams, tags, types, macros."""

from __future__ import annotations

from tiski.accounts.models import Role
from tiski.customers.actions import save_organisation
from tiski.customers.models import Contact, CustomerChange
from tiski.macros.models import Macro
from tiski.tickets.models import TicketType


def test_create_read_update_contact(api_for, make_user):
    agent = make_user()
    api = api_for(agent)
    created = api.post(
        "/api/v1/contacts",
        {"name": "Pekka Puu", "emails": ["Pekka@Puu.fi"], "phones": ["040 123 4567"]},
    )
    assert created.status_code == 201, created.content
    contact_id = created.json()["id"]
    identities = {(i["kind"], i["value"]) for i in created.json()["identities"]}
    assert identities == {("email", "pekka@puu.fi"), ("phone", "+358401234567")}
    assert CustomerChange.objects.filter(contact_id=contact_id, actor=agent, created=True).exists()
    patched = api.patch(f"/api/v1/contacts/{contact_id}", {"notes": "Kanta-asiakas"})
    assert patched.status_code == 200
    assert patched.json()["notes"] == "Kanta-asiakas"
    assert len(patched.json()["identities"]) == 2  # identities kept when not given
    read = api.get(f"/api/v1/contacts/{contact_id}").json()
    assert read["name"] == "Pekka Puu"
    listed = api.get("/api/v1/contacts", {"q": "pekka@puu.fi"}).json()["data"]
    assert [c["id"] for c in listed] == [contact_id]


def test_identity_of_another_contact_is_a_conflict(api_for, make_user, make_contact):
    owner = make_contact(email="varattu@example.fi")
    response = api_for(make_user()).post(
        "/api/v1/contacts", {"name": "Toinen", "emails": ["varattu@example.fi"]}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "identity_taken"
    assert str(owner.pk) in response.json()["fields"]["emails"][0]
    assert Contact.objects.count() == 1


def test_light_agent_cannot_change_contacts(api_for, make_user):
    response = api_for(make_user(role=Role.LIGHT_AGENT)).post("/api/v1/contacts", {"name": "X"})
    assert response.status_code == 403


def test_directory(api_for, make_user, make_team, make_ticket, admin_user):
    team = make_team(name="Myynti")
    agent = make_user(teams=(team,))
    org = save_organisation(None, actor=admin_user, name="Oy Ab", domains=["oyab.fi"])
    TicketType.objects.get_or_create(slug="kysymys", defaults={"name_fi": "K", "name_en": "Q"})
    make_ticket(tags=["lasku"])
    api = api_for(agent)
    users = {u["id"]: u for u in api.get("/api/v1/users").json()}
    assert users[agent.pk]["team_ids"] == [team.pk]
    teams = api.get("/api/v1/teams").json()
    assert [t["name"] for t in teams] == ["Myynti"] and teams[0]["member_ids"] == [agent.pk]
    assert {"name": "lasku"} in api.get("/api/v1/tags").json()
    assert "kysymys" in [t["slug"] for t in api.get("/api/v1/ticket-types").json()]
    orgs = api.get("/api/v1/organisations").json()
    assert orgs[0]["domains"] == ["oyab.fi"]
    assert api.get(f"/api/v1/organisations/{org.pk}").json()["name"] == "Oy Ab"
    assert api.get("/api/v1/organisations/999999").status_code == 404


def test_apply_macro(api_for, make_user, make_ticket, mailbox):
    ticket = make_ticket()
    macro = Macro.objects.create(
        name="Kiitos", text_fi="Kiitos viestistä!", text_en="Thanks!", set_priority="high"
    )
    api = api_for(make_user())
    assert {"id": macro.pk, "name": "Kiitos"} in api.get("/api/v1/macros").json()
    response = api.post(f"/api/v1/macros/{macro.pk}/apply", {"ticket": ticket.number})
    assert response.status_code == 200, response.content
    assert response.json()["priority"] == "high"
    assert ticket.messages.filter(kind="public", text="Kiitos viestistä!").exists()
    light = api_for(make_user(role=Role.LIGHT_AGENT))
    assert (
        light.post(f"/api/v1/macros/{macro.pk}/apply", {"ticket": ticket.number}).status_code == 403
    )
