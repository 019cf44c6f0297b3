"""Credentials as Zendesk clients send them; refusals and limits in Zendesk's shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import time_machine
from django.test import Client

from tiski.api import tokens
from tiski.api.models import Scope
from tiski.tickets.models import Ticket

from .conftest import ZendeskClient, basic

UNAUTHENTICATED = "Couldn't authenticate you"


def test_basic_email_token_and_bearer_both_work(make_user):
    agent = make_user()
    _token, raw = tokens.create_token(agent, name="zd", scope=Scope.READ)
    for header in (basic(f"{agent.email}/token", raw), basic(f"{agent.email.upper()}/token", raw)):
        me = ZendeskClient(header).get("/api/v2/users/me.json")
        assert me.status_code == 200, me.content
        assert me.json()["user"]["id"] == agent.pk
    bearer = ZendeskClient(f"Bearer {raw}").get("/api/v2/users/me.json")
    assert bearer.json()["user"]["email"] == agent.email


def test_password_wrong_email_and_bad_headers_are_refused(make_user):
    agent, other = make_user(), make_user()
    _token, raw = tokens.create_token(agent, name="zd", scope=Scope.READ)
    for header in (
        basic(agent.email, "the-desk-password"),  # email:password: Zendesk has switched it off too
        basic(agent.email, raw),  # the token, but without /token
        basic(f"{other.email}/token", raw),  # someone else's email with this token
        basic(f"{agent.email}/token", "tsk_wrong"),
        "Basic not-base64!",
        f"Token {raw}",
    ):
        refused = ZendeskClient(header).get("/api/v2/tickets.json")
        assert refused.status_code == 401, header
        assert refused.json()["error"] == UNAUTHENTICATED
        assert refused["WWW-Authenticate"].startswith("Basic")


def test_no_credentials_is_401_and_the_desk_session_works(make_user):
    anonymous = Client().get("/api/v2/tickets.json")
    assert anonymous.status_code == 401 and anonymous.json()["error"] == UNAUTHENTICATED
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    agent = make_user()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.get("/api/v2/users/me.json").json()["user"]["id"] == agent.pk
    # A change from a browser needs the CSRF token, as in /api/v1/.
    refused = browser.post(
        "/api/v2/tickets.json",
        '{"ticket": {"subject": "x", "comment": {"body": "y"}}}',
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    assert not Ticket.objects.exists()


def test_read_scope_reads_but_does_not_write(zendesk_for, make_user, make_ticket):
    ticket = make_ticket()
    reader = zendesk_for(make_user(), scope=Scope.READ)
    assert reader.get(f"/api/v2/tickets/{ticket.number}.json").status_code == 200
    refused = reader.put(f"/api/v2/tickets/{ticket.number}.json", {"ticket": {"priority": "low"}})
    assert refused.status_code == 403
    assert refused.json()["error"] == "Forbidden" and "write" in refused.json()["description"]
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_rate_limit_is_v1s_with_zendesks_headers(zendesk_for, make_user, settings):
    settings.TISKI_API_RATE_LIMIT = 2
    zd = zendesk_for(make_user())
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, 45, tzinfo=UTC), tick=False):
        answers = [zd.get("/api/v2/groups.json") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a["X-Rate-Limit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[0]["X-Rate-Limit"] == "2"
    limited = answers[-1]
    assert limited["Retry-After"] == "15"
    assert limited.json()["error"] == "TooManyRequests"


def test_unknown_method_and_bad_json(zendesk_for, make_user, make_ticket):
    ticket = make_ticket()
    zd = zendesk_for(make_user())
    patched = zd.client.patch(
        f"/api/v2/tickets/{ticket.number}.json", headers={"Authorization": zd.authorization}
    )
    assert patched.status_code == 405 and patched.json()["error"] == "InvalidEndpoint"
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    garbled = zd.client.put(
        f"/api/v2/tickets/{ticket.number}.json",
        "{not json",
        content_type="application/json",
        headers={"Authorization": zd.authorization},
    )
    assert garbled.status_code == 400 and garbled.json()["error"] == "InvalidJSON"


def test_idempotency_key_replays_a_create(zendesk_for, make_user):
    zd = zendesk_for(make_user())
    body = {"ticket": {"subject": "Tilaus 7", "comment": {"body": "Hei"}}}
    headers = {"Authorization": zd.authorization, "Idempotency-Key": "shop-7"}

    def post(payload):
        return zd.client.post(
            "/api/v2/tickets.json", json.dumps(payload), "application/json", headers=headers
        )

    first, again = post(body), post(body)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["ticket"]["id"] == again.json()["ticket"]["id"]
    assert Ticket.objects.count() == 1
    other = post({"ticket": {"subject": "Muu", "comment": {"body": "Hei"}}})
    assert other.status_code == 422 and other.json()["error"] == "IdempotentRequestError"
    assert Ticket.objects.count() == 1
