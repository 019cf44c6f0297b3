"""The user's API tokens page: made with a name, scope and expiry, shown once, revoked."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tiski.api.models import ApiToken
from tiski.api.tokens import authenticate

from .conftest import ApiClient


def test_create_show_once_and_revoke(make_user):
    user = make_user()
    client = Client()
    client.force_login(user)
    assert "api-tokens-link" in client.get("/preferences/").content.decode()
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        "/preferences/api-tokens/",
        {"name": "Verkkokauppa", "scope": "write", "expires_on": expires},
    )
    assert response.status_code == 201
    raw = response.context["new_token"]
    assert raw in response.content.decode()
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.scope) == ("Verkkokauppa", "write")
    assert token.expires_at > timezone.now() + timedelta(days=29)
    assert authenticate(raw).pk == token.pk
    # Never readable again.
    assert raw not in client.get("/preferences/api-tokens/").content.decode()
    assert ApiClient(raw).get("/api/v1/tags").status_code == 200
    assert client.post(f"/preferences/api-tokens/{token.pk}/revoke/").status_code == 302
    assert ApiClient(raw).get("/api/v1/tags").status_code == 401


def test_agents_cannot_choose_admin_scope_nor_revoke_others(make_user):
    user, other = make_user(), make_user()
    client = Client()
    client.force_login(user)
    response = client.post("/preferences/api-tokens/", {"name": "x", "scope": "admin"})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    client.force_login(other)
    client.post("/preferences/api-tokens/", {"name": "Toisen", "scope": "read"})
    token = ApiToken.objects.get(user=other)
    client.force_login(user)
    assert client.post(f"/preferences/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expiry_must_be_in_the_future(make_user):
    client = Client()
    client.force_login(make_user())
    response = client.post(
        "/preferences/api-tokens/",
        {"name": "x", "scope": "read", "expires_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
