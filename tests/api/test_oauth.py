"""OAuth2 client credentials: a client's secret becomes a short-lived bearer
token that the v1 API takes like a personal one; errors as RFC 6749 §5.2 says."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tiski.accounts.models import Role
from tiski.api import oauth
from tiski.api.models import ApiClient, ApiToken, Scope

from .conftest import ApiClient as BearerClient

TOKEN_URL = "/api/oauth/token"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def ask(data: dict, authorization: str = ""):
    headers = {"Authorization": authorization} if authorization else {}
    return Client().post(TOKEN_URL, data, headers=headers)


@pytest.fixture
def registered(make_user, make_team):
    team = make_team()
    agent = make_user(teams=(team,))
    client, secret = oauth.create_client(name="CRM", user=agent, scope=Scope.WRITE, created_by=None)
    return client, secret, team


def test_secret_is_stored_hashed(registered):
    client, secret, _team = registered
    stored = ApiClient.objects.get(pk=client.pk)
    assert secret not in (stored.secret_hash, stored.client_id, stored.name)
    assert oauth.authenticate_client(client.client_id, secret).pk == client.pk
    assert oauth.authenticate_client(client.client_id, secret + "x") is None


def test_basic_auth_token_lists_what_the_acting_user_sees(registered, make_ticket, make_team):
    client, secret, team = registered
    ours = make_ticket(subject="Meidän", team=team)
    theirs = make_ticket(subject="Salainen", team=make_team(restricted=True))
    response = ask({"grant_type": "client_credentials"}, basic(client.client_id, secret))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "write"
    api = BearerClient(body["access_token"])
    listed = {t["number"] for t in api.get("/api/v1/tickets").json()["data"]}
    assert ours.number in listed and theirs.number not in listed
    assert api.get(f"/api/v1/tickets/{theirs.number}").status_code == 404
    changed = api.patch(f"/api/v1/tickets/{ours.number}", {"priority": "high"})
    assert changed.status_code == 200, changed.content
    token = ApiToken.objects.get(client=client)
    assert token.user == client.user
    assert not ApiToken.objects.personal().filter(pk=token.pk).exists()


def test_form_credentials_and_a_narrower_scope(registered, make_ticket, make_team):
    client, secret, team = registered
    ticket = make_ticket(team=team)
    response = ask(
        {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
            "scope": "read",
        }
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "read"
    api = BearerClient(response.json()["access_token"])
    assert api.get(f"/api/v1/tickets/{ticket.number}").status_code == 200
    refused = api.patch(f"/api/v1/tickets/{ticket.number}", {"priority": "high"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, "wrong", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "Basic %%%", 401, "invalid_client"),
        ({"grant_type": "password"}, "right", 400, "unsupported_grant_type"),
        ({}, "right", 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "admin"}, "right", 400, "invalid_scope"),
        (
            {"grant_type": "client_credentials", "scope": "everything"},
            "right",
            400,
            "invalid_scope",
        ),
        (
            {"grant_type": "client_credentials", "client_secret": "x"},
            "right",
            400,
            "invalid_request",
        ),
    ],
)
def test_errors_follow_rfc_6749(registered, data, auth, status, error):
    client, secret, _team = registered
    header = {
        "wrong": basic(client.client_id, "tss_wrong"),
        "right": basic(client.client_id, secret),
    }.get(auth, auth)
    response = ask(data, header)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error and body["error_description"]
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Basic")
    assert not ApiToken.objects.filter(client=client).exists()


def test_deactivated_user_is_invalid_grant(registered):
    client, secret, _team = registered
    client.user.is_active = False
    client.user.save()
    response = ask({"grant_type": "client_credentials"}, basic(client.client_id, secret))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_token_expires(registered):
    client, secret, _team = registered
    raw = ask({"grant_type": "client_credentials"}, basic(client.client_id, secret)).json()[
        "access_token"
    ]
    api = BearerClient(raw)
    assert api.get("/api/v1/tickets").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=3601)):
        response = api.get("/api/v1/tickets")
        assert response.status_code == 401
        assert oauth.forget_expired(before=timedelta(0)) == 1


def test_revoking_the_client_ends_its_tokens_and_secret(registered):
    client, secret, _team = registered
    raw = ask({"grant_type": "client_credentials"}, basic(client.client_id, secret)).json()[
        "access_token"
    ]
    oauth.revoke_client(client)
    assert BearerClient(raw).get("/api/v1/tickets").status_code == 401
    again = ask({"grant_type": "client_credentials"}, basic(client.client_id, secret))
    assert again.status_code == 401


def test_new_secret_replaces_the_old(registered):
    client, secret, _team = registered
    fresh = oauth.new_secret(client)
    assert (
        ask({"grant_type": "client_credentials"}, basic(client.client_id, secret)).status_code
        == 401
    )
    assert (
        ask({"grant_type": "client_credentials"}, basic(client.client_id, fresh)).status_code == 200
    )


def test_admin_scope_only_for_an_admin(make_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        oauth.create_client(name="x", user=make_user(), scope=Scope.ADMIN, created_by=None)
    admin = make_user(role=Role.ADMIN)
    client, _secret = oauth.create_client(name="y", user=admin, scope=Scope.ADMIN, created_by=None)
    assert client.scope == Scope.ADMIN


@pytest.mark.django_db(transaction=True)
def test_over_a_real_socket(live_server, make_user, make_ticket):
    """A server integration as it runs: urllib, HTTP Basic, then the bearer token."""
    admin = make_user(role=Role.ADMIN)
    ticket = make_ticket(subject="Lasku puuttuu")
    client, secret = oauth.create_client(name="ERP", user=admin, scope=Scope.READ, created_by=None)
    request = urllib.request.Request(
        live_server.url + TOKEN_URL,
        data=urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": basic(client.client_id, secret)},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        token = json.load(answer)["access_token"]
    listing = urllib.request.Request(
        live_server.url + "/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(listing, timeout=10) as answer:
        numbers = [t["number"] for t in json.load(answer)["data"]]
    assert numbers == [ticket.number]
    wrong = urllib.request.Request(
        live_server.url + TOKEN_URL,
        data=urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": basic(client.client_id, "tss_nope")},
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(wrong, timeout=10)
    assert failed.value.code == 401
    assert json.load(failed.value)["error"] == "invalid_client"


def test_settings_page_makes_shows_once_and_revokes(admin_user, make_user):
    browser = Client()
    browser.force_login(admin_user)
    made = browser.post(
        "/settings/api-clients/new/", {"name": "Laskutus", "user": "", "scope": "read"}
    )
    assert made.status_code == 201
    client = ApiClient.objects.get(name="Laskutus")
    assert client.user.email.endswith("@integrations.invalid")
    assert not client.user.has_usable_password()
    # Routing never hands tickets to an integration.
    assert client.user.is_out_of_office()
    page = made.content.decode()
    assert client.client_id in page and "tss_" in page
    listing = browser.get("/settings/api-clients/").content.decode()
    assert client.client_id in listing and "tss_" not in listing
    refused = browser.post(
        "/settings/api-clients/new/", {"name": "Liian", "user": "", "scope": "admin"}
    )
    assert refused.status_code == 400
    browser.post(f"/settings/api-clients/{client.pk}/revoke/")
    client.refresh_from_db()
    assert client.revoked_at is not None
    agent = Client()
    agent.force_login(make_user())
    assert agent.get("/settings/api-clients/").status_code == 403
