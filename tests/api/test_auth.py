"""Tokens: bearer only, hashed, scoped, revocable, expiring; the desk session for browsers."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tiski.accounts.models import Role
from tiski.api import tokens
from tiski.api.models import ApiToken, Scope

from .conftest import ApiClient


def test_no_token_is_401_with_the_error_shape(db):
    response = Client().get("/api/v1/tickets")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthorized" and body["message"] and body["fields"] == {}


def test_unknown_token_is_401(db):
    response = ApiClient("tsk_not-a-real-token").get("/api/v1/tickets")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_is_stored_hashed_and_shown_once(make_user):
    user = make_user()
    token, raw = tokens.create_token(user, name="Verkkokauppa", scope=Scope.READ)
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.token_hash, stored.prefix, stored.name)
    assert raw.startswith(stored.prefix)
    assert tokens.authenticate(raw).pk == token.pk


def test_revoked_expired_and_inactive_tokens_stop_working(make_user):
    user = make_user()
    revoked, raw_revoked = tokens.create_token(user, name="a", scope=Scope.READ)
    tokens.revoke(revoked)
    _expired, raw_expired = tokens.create_token(
        user, name="b", scope=Scope.READ, expires_at=timezone.now() - timedelta(minutes=1)
    )
    other = make_user()
    _token, raw_inactive = tokens.create_token(other, name="c", scope=Scope.READ)
    other.is_active = False
    other.save()
    for raw in (raw_revoked, raw_expired, raw_inactive):
        assert ApiClient(raw).get("/api/v1/tickets").status_code == 401


def test_last_used_is_recorded(api_for, make_user):
    user = make_user()
    api = api_for(user)
    assert api.get("/api/v1/tickets").status_code == 200
    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_read_scope_cannot_write(api_for, make_user, make_ticket):
    ticket = make_ticket()
    api = api_for(make_user(role=Role.ADMIN), scope=Scope.READ)
    assert api.get(f"/api/v1/tickets/{ticket.number}").status_code == 200
    response = api.patch(f"/api/v1/tickets/{ticket.number}", {"priority": "high"})
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_only_admins_get_admin_tokens(make_user):
    import pytest
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        tokens.create_token(make_user(), name="x", scope=Scope.ADMIN)


def test_desk_session_reads_and_needs_csrf_to_write(make_user, make_ticket):
    ticket = make_ticket()
    user = make_user(role=Role.ADMIN)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(f"/api/v1/tickets/{ticket.number}").status_code == 200
    response = client.patch(
        f"/api/v1/tickets/{ticket.number}", '{"priority": "high"}', content_type="application/json"
    )
    assert response.status_code in (401, 403)
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
