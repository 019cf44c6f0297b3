"""Side-panel cards on the ticket page: links, JSON fetched by the server, quiet errors."""

from __future__ import annotations

import pytest
from django.test import Client

from tiski.accounts.models import Role
from tiski.setup.models import SettingChange
from tiski.sidepanel import fetching
from tiski.sidepanel.models import CardKind, SidePanelCard


@pytest.fixture
def agent_client(make_user):
    client = Client()
    # English, so the assertions read the sentences as written in the code.
    user = make_user(role=Role.ADMIN, language="en")
    client.force_login(user)
    client.user = user
    return client


def json_card(crm, path: str = "/customers", **fields) -> SidePanelCard:
    return SidePanelCard.objects.create(
        name="CRM",
        kind=CardKind.JSON,
        url_template=crm.url + path + "?email={{requester.email}}",
        **fields,
    )


def body(client, ticket, card) -> str:
    response = client.get(f"/side-panel/{ticket.number}/{card.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_link_card_and_json_placeholder_on_the_ticket_page(agent_client, make_ticket, crm):
    ticket = make_ticket()
    SidePanelCard.objects.create(
        name="Verkkokauppa",
        url_template="https://kauppa.example/admin/asiakkaat?haku={{requester.email}}",
    )
    card = json_card(crm)
    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert f'hx-get="/side-panel/{ticket.number}/"' in page
    cards = agent_client.get(f"/side-panel/{ticket.number}/").content.decode()
    email = ticket.requester.emails[0].replace("@", "%40")
    assert f"https://kauppa.example/admin/asiakkaat?haku={email}" in cards
    assert f'hx-get="/side-panel/{ticket.number}/{card.pk}/"' in cards
    # The page itself never waited for the CRM.
    assert crm.requests == []


def test_json_object_and_list_become_key_value_blocks(agent_client, make_ticket, crm):
    ticket = make_ticket()
    crm.route("/customers", {"asiakasnumero": "A-1001", "segmentti": "VIP", "tilauksia": 12})
    crm.route("/orders", [{"tilaus": "T-1", "summa": 49.9}, {"tilaus": "T-2", "tila": None}])
    text = body(agent_client, ticket, json_card(crm, auth_header="Bearer sala"))
    assert "asiakasnumero" in text and "A-1001" in text and "VIP" in text
    asked = crm.requests[-1]
    assert asked["path"] == "/customers?email=" + ticket.requester.emails[0].replace("@", "%40")
    assert asked["headers"]["Authorization"] == "Bearer sala"
    orders = json_card(crm, "/orders")
    listed = body(agent_client, ticket, orders)
    assert listed.count('<dl class="integration-values">') == 2
    assert "T-2" in listed and "–" in listed


def test_answers_are_cached_per_card_and_url_until_the_card_changes(agent_client, make_ticket, crm):
    ticket = make_ticket()
    crm.route("/customers", {"asiakasnumero": "A-1"})
    card = json_card(crm)
    body(agent_client, ticket, card)
    body(agent_client, ticket, card)
    assert len(crm.requests) == 1
    body(agent_client, make_ticket(), card)  # another customer, another URL
    assert len(crm.requests) == 2
    crm.route("/customers", {"asiakasnumero": "A-2"})
    agent_client.post(
        f"/settings/side-panel/{card.pk}/",
        {
            "name": "CRM",
            "kind": "json",
            "url_template": card.url_template,
            "position": 0,
            "active": "on",
        },
    )
    assert "A-2" in body(agent_client, ticket, card)


@pytest.mark.parametrize(
    ("route", "sentence"),
    [
        (
            {"status": 500, "body": {"error": "boom"}},
            "could not be reached or answered with an error",
        ),
        ({"body": b"<html>not json</html>"}, "was not JSON"),
        ({"body": b"[" + b'{"a": 1},' * 40000 + b'{"a": 1}]'}, "too large"),
        ({"body": b'"just a string"'}, "not an object"),
        ({"body": {"x": 1}, "wait": 2.0}, "did not answer in time"),
    ],
)
def test_errors_are_a_quiet_sentence(agent_client, make_ticket, crm, monkeypatch, route, sentence):
    monkeypatch.setattr(fetching, "TIMEOUT_SECONDS", 0.3)
    crm.route(
        "/customers", route["body"], status=route.get("status", 200), wait=route.get("wait", 0)
    )
    text = body(agent_client, make_ticket(), json_card(crm))
    assert sentence in text
    assert 'class="muted integration-error"' in text


def test_errors_speak_the_agents_language(make_user, make_ticket, crm):
    crm.route("/customers", b"not json")
    finnish = Client()
    finnish.force_login(make_user(role=Role.ADMIN, language="fi"))
    assert "Vastaus ei ollut JSON-muotoinen." in body(finnish, make_ticket(), json_card(crm))


def test_private_addresses_are_refused_unless_allowed(agent_client, make_ticket, crm, settings):
    settings.TISKI_HTTP_ALLOW_PRIVATE = False
    crm.route("/customers", {"a": 1})
    text = body(agent_client, make_ticket(), json_card(crm))
    assert "could not be reached" in text
    assert crm.requests == []


def test_outsiders_get_nothing(make_user, make_team, make_ticket, crm):
    crm.route("/customers", {"salainen": "arvo"})
    secret = make_team(restricted=True)
    ticket = make_ticket(team=secret)
    card = json_card(crm)
    outsider = Client()
    outsider.force_login(make_user(teams=(make_team(),)))
    assert outsider.get(f"/side-panel/{ticket.number}/").status_code == 404
    assert outsider.get(f"/side-panel/{ticket.number}/{card.pk}/").status_code == 404
    assert crm.requests == []


def test_settings_validate_keep_the_header_and_log_without_it(agent_client, crm):
    bad = agent_client.post(
        "/settings/side-panel/new/",
        {
            "name": "X",
            "kind": "link",
            "url_template": "https://x.example/{{requester.iban}}",
            "position": 0,
        },
    )
    assert bad.status_code == 400 and "requester.iban" in bad.content.decode()
    made = agent_client.post(
        "/settings/side-panel/new/",
        {
            "name": "CRM",
            "kind": "json",
            "url_template": crm.url + "/c?e={{requester.email}}",
            "auth_header": "Bearer s3cret",
            "position": 1,
            "active": "on",
        },
    )
    assert made.status_code == 302
    card = SidePanelCard.objects.get(name="CRM")
    assert card.auth_header == "Bearer s3cret"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT auth_header FROM {SidePanelCard._meta.db_table}")
        assert "s3cret" not in cursor.fetchone()[0]
    agent_client.post(
        f"/settings/side-panel/{card.pk}/",
        {
            "name": "CRM 2",
            "kind": "json",
            "url_template": card.url_template,
            "position": 1,
            "active": "on",
            "auth_header": "",
        },
    )
    card.refresh_from_db()
    assert card.name == "CRM 2" and card.auth_header == "Bearer s3cret"
    assert "s3cret" not in str(list(SettingChange.objects.values_list("changes", flat=True)))
    assert "s3cret" not in agent_client.get(f"/settings/side-panel/{card.pk}/").content.decode()
