"""End users and organizations made and changed through /api/v2/ (customers.actions)."""

from __future__ import annotations

from tiski.accounts.models import Role, User
from tiski.api.models import Scope
from tiski.api.zendesk.mapping import END_USER_BASE
from tiski.customers.models import Contact, CustomerChange, Organisation


def test_create_and_update_an_end_user(zendesk_for, make_user):
    agent = make_user()
    zd = zendesk_for(agent)
    org = zd.post("/api/v2/organizations.json", {"organization": {"name": "Yritys Oy"}})
    assert org.status_code == 201, org.content
    org_id = org.json()["organization"]["id"]
    created = zd.post(
        "/api/v2/users.json",
        {
            "user": {
                "name": "Liisa Laine",
                "email": "Liisa@Example.fi",
                "phone": "040 123 4567",
                "organization_id": org_id,
                "locale": "en-US",
                "role": "end-user",
            }
        },
    )
    assert created.status_code == 201, created.content
    user = created.json()["user"]
    contact = Contact.objects.get(pk=user["id"] - END_USER_BASE)
    assert (user["role"], user["email"], user["organization_id"]) == (
        "end-user",
        "liisa@example.fi",
        org_id,
    )
    assert contact.name == "Liisa Laine" and contact.language == "en"
    assert contact.phones == ["+358401234567"]
    assert CustomerChange.objects.filter(contact=contact, actor=agent, created=True).exists()

    changed = zd.put(
        f"/api/v2/users/{user['id']}.json",
        {"user": {"name": "Liisa Laine-Puro", "email": "liisa@uusi.fi", "organization_id": None}},
    )
    assert changed.status_code == 200, changed.content
    contact.refresh_from_db()
    assert contact.name == "Liisa Laine-Puro" and contact.organisation is None
    # As in Zendesk, an email on an update is added as a second address.
    assert contact.emails == ["liisa@example.fi", "liisa@uusi.fi"]
    assert changed.json()["user"]["email"] == "liisa@example.fi"


def test_user_refusals(zendesk_for, make_user, make_contact):
    make_contact(email="taken@example.fi")
    agent = make_user()
    zd = zendesk_for(agent)
    for body, field in (
        ({"name": "Uusi Agentti", "email": "a@tiski.example", "role": "agent"}, "role"),
        ({"name": "Toinen", "email": "taken@example.fi"}, "email"),
        ({"phone": "0401111111"}, "name"),
        ({"name": "X", "organization_id": 999999}, "organization_id"),
    ):
        refused = zd.post("/api/v2/users.json", {"user": body})
        assert refused.status_code == 422, (body, refused.content)
        assert field in refused.json()["details"]
    assert not User.objects.filter(email="a@tiski.example").exists()
    # An agent is not changed through here, and a light agent changes no one.
    agent_change = zd.put(f"/api/v2/users/{agent.pk}.json", {"user": {"name": "Toinen nimi"}})
    assert agent_change.status_code == 403
    light = zendesk_for(make_user(role=Role.LIGHT_AGENT))
    assert light.post("/api/v2/users.json", {"user": {"name": "Kevyt"}}).status_code == 403
    reader = zendesk_for(agent, scope=Scope.READ)
    assert reader.post("/api/v2/users.json", {"user": {"name": "Lukija"}}).status_code == 403
    assert zd.put(f"/api/v2/users/{END_USER_BASE + 999999}.json", {"user": {}}).status_code == 404
    assert Contact.objects.count() == 1


def test_create_or_update_user_by_email(zendesk_for, make_user, make_contact):
    known = make_contact(email="liisa@example.fi", name="Liisa")
    zd = zendesk_for(make_user())
    url = "/api/v2/users/create_or_update.json"
    updated = zd.post(url, {"user": {"email": "LIISA@example.fi", "name": "Liisa Laine"}})
    assert updated.status_code == 200 and updated.json()["user"]["id"] == END_USER_BASE + known.pk
    known.refresh_from_db()
    assert known.name == "Liisa Laine"
    made = zd.post(url, {"user": {"email": "pekka@example.fi", "name": "Pekka"}})
    assert made.status_code == 201
    assert Contact.objects.filter(identities__value="pekka@example.fi").count() == 1


def test_organizations_create_update_and_create_or_update(zendesk_for, make_user):
    zd = zendesk_for(make_user())
    created = zd.post(
        "/api/v2/organizations",
        {"organization": {"name": "Yritys Oy", "domain_names": ["yritys.fi"], "notes": "VIP"}},
    )
    assert created.status_code == 201
    org_id = created.json()["organization"]["id"]
    assert created.json()["organization"]["domain_names"] == ["yritys.fi"]
    duplicate = zd.post("/api/v2/organizations", {"organization": {"name": "yritys oy"}})
    assert duplicate.status_code == 422 and "name" in duplicate.json()["details"]
    changed = zd.put(
        f"/api/v2/organizations/{org_id}.json",
        {"organization": {"domain_names": ["yritys.fi", "yritys.com"]}},
    )
    assert changed.status_code == 200
    org = Organisation.objects.get(pk=org_id)
    assert sorted(org.domains.values_list("domain", flat=True)) == ["yritys.com", "yritys.fi"]
    assert org.name == "Yritys Oy" and org.notes == "VIP"  # fields not given are kept
    other = zd.post("/api/v2/organizations", {"organization": {"name": "Toinen Oy"}}).json()
    taken = zd.put(
        f"/api/v2/organizations/{other['organization']['id']}.json",
        {"organization": {"domain_names": ["yritys.fi"]}},
    )
    assert taken.status_code == 422 and "domain_names" in taken.json()["details"]
    url = "/api/v2/organizations/create_or_update.json"
    by_name = zd.post(url, {"organization": {"name": "Yritys Oy", "notes": "Sopimus 2027"}})
    assert by_name.status_code == 200 and by_name.json()["organization"]["id"] == org_id
    by_id = zd.post(url, {"organization": {"id": org_id, "name": "Yritys Group Oy"}})
    assert by_id.status_code == 200
    assert zd.post(url, {"organization": {"name": "Kolmas Oy"}}).status_code == 201
    org.refresh_from_db()
    assert (org.name, org.notes) == ("Yritys Group Oy", "Sopimus 2027")
    assert Organisation.objects.count() == 3
    assert zd.put("/api/v2/organizations/999999.json", {"organization": {}}).status_code == 404
