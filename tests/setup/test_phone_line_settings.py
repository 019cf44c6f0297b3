"""Settings → Phone lines: E.164 numbers, the token shown once, regeneration."""

from __future__ import annotations

from django.urls import reverse

from tiski.connectors.phone.models import PhoneLine, token_digest
from tiski.connectors.phone.services import line_for_token

from .conftest import last_change

NEW = reverse("setup:phone-line-new")


def test_agent_gets_403(agent_client, db):
    line = PhoneLine.objects.create(name="Vaihde", number="+358912345678")
    assert agent_client.get(reverse("setup:phone-lines")).status_code == 403
    assert agent_client.get(NEW).status_code == 403
    assert agent_client.post(reverse("setup:phone-line-token", args=[line.pk])).status_code == 403


def test_new_line_is_stored_in_e164_and_its_token_shown_once(admin_client, admin, make_team):
    team = make_team("Puhelin")
    response = admin_client.post(
        NEW, {"name": "Vaihde", "number": "09 123 4567", "team": str(team.pk), "active": "on"}
    )
    line = PhoneLine.objects.get()
    assert response.status_code == 302
    assert line.number == "+35891234567"
    token = line.token
    assert line.token_digest == token_digest(token)
    assert line_for_token(token) == line

    first = admin_client.get(response["Location"]).content.decode()
    assert token in first
    assert "It is shown only this once." in first
    again = admin_client.get(response["Location"]).content.decode()
    assert token not in again

    change = last_change("phone_lines")
    assert change.action == "created" and change.actor == admin
    assert change.changes["number"] == [None, "+35891234567"]
    assert token not in str(change.changes)


def test_not_a_number_and_a_taken_number_are_explained(admin_client, db):
    PhoneLine.objects.create(name="Vaihde", number="+35891234567")
    response = admin_client.post(NEW, {"name": "Myynti", "number": "soita meille"})
    assert response.status_code == 400
    assert "“soita meille” is not a phone number." in response.content.decode()
    response = admin_client.post(NEW, {"name": "Myynti", "number": "+358 9 123 4567"})
    assert response.status_code == 400
    assert "+35891234567 is already the line “Vaihde”." in response.content.decode()


def test_new_token_replaces_the_old_one_and_is_shown_once(admin_client, admin, db):
    line = PhoneLine.objects.create(name="Vaihde", number="+35891234567")
    old = line.token
    response = admin_client.post(reverse("setup:phone-line-token", args=[line.pk]))
    line.refresh_from_db()
    assert line.token != old
    assert line_for_token(old) is None
    assert line_for_token(line.token) == line
    page = admin_client.get(response["Location"]).content.decode()
    assert line.token in page
    change = last_change("phone_lines")
    assert change.action == "changed" and change.actor == admin
    assert set(change.changes) == {"token"}
    assert line.token not in str(change.changes) and old not in str(change.changes)


def test_editing_keeps_the_token_and_the_click_to_call_secret(admin_client, db):
    line = PhoneLine.objects.create(
        name="Vaihde", number="+35891234567", click_to_call_secret="salainen"
    )
    token = line.token
    edit = reverse("setup:phone-line-edit", args=[line.pk])
    page = admin_client.get(edit).content.decode()
    assert token not in page and "salainen" not in page
    admin_client.post(edit, {"name": "Asiakaspalvelu", "number": "+35891234567", "active": "on"})
    line.refresh_from_db()
    assert line.name == "Asiakaspalvelu"
    assert line.token == token
    assert line.click_to_call_secret == "salainen"
    assert last_change("phone_lines").changes == {"name": ["Vaihde", "Asiakaspalvelu"]}
