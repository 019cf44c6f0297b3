"""A Zendesk-style client: HTTP Basic ``email/token:TOKEN``, JSON bodies, ``.json`` paths."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from tiski.api import tokens
from tiski.api.models import Scope


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class ZendeskClient:
    def __init__(self, authorization: str) -> None:
        self.client = Client()
        self.authorization = authorization

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self.authorization}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, headers=self._headers())

    def post(self, path: str, body: Any):
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=self._headers()
        )

    def send(self, method: str, path: str, params: dict, body: Any):
        """``method`` with the query ``params`` and (but for GET) a JSON ``body``."""
        if method == "GET":
            return self.get(path, params)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return self.client.generic(
            method,
            f"{path}?{query}",
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(),
        )

    def delete(self, path: str, params: dict | None = None):
        return self.send("DELETE", path, params or {}, None)

    def put(self, path: str, body: Any):
        return self.client.put(
            path, json.dumps(body), content_type="application/json", headers=self._headers()
        )


@pytest.fixture
def zendesk_for(db):
    def make(user, scope: str = Scope.WRITE) -> ZendeskClient:
        _token, raw = tokens.create_token(user, name="zendesk", scope=scope)
        return ZendeskClient(basic(f"{user.email}/token", raw))

    return make
