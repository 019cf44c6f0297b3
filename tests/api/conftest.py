"""An API client: real URLs, a real token made through the tokens module."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tiski.api import tokens
from tiski.api.models import Scope


class ApiClient:
    """Django's test client with ``Authorization: Bearer`` and JSON bodies."""

    def __init__(self, raw_token: str) -> None:
        self.client = Client()
        self.raw_token = raw_token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw_token}", **(headers or {})}

    def get(self, path: str, params: dict | None = None, **headers: str):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, **headers: str):
        return self.client.post(
            path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def post_multipart(self, path: str, data: dict, **headers: str):
        return self.client.post(path, data, headers=self._headers(headers))

    def patch(self, path: str, body: Any, **headers: str):
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", headers=self._headers(headers)
        )


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_for(db):
    def make(user, scope: str = Scope.WRITE, **fields) -> ApiClient:
        _token, raw = tokens.create_token(user, name="test", scope=scope, **fields)
        return ApiClient(raw)

    return make
