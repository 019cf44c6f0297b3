"""Fixtures for the phone channel: a line, its token, a webhook poster, a fake provider."""

from __future__ import annotations

import importlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps


@pytest.fixture(autouse=True)
def shipped_sla(request):
    """The shipped calendar and policies; transactional tests flush migration data."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    sla = importlib.import_module("tiski.sla.migrations.0002_default_calendar_and_policy")
    sla.create_defaults(apps, None)
    phone = importlib.import_module("tiski.connectors.phone.migrations.0002_callback_sla")
    phone.create_policy(apps, None)


@pytest.fixture
def team(make_team):
    return make_team("Puhelinpalvelu")


@pytest.fixture
def line(db, team):
    from tiski.connectors.phone.models import PhoneLine

    return PhoneLine.objects.create(number="09 4241 0000", name="Asiakaspalvelu", team=team)


@pytest.fixture
def post_event(client, line):
    def post(payload, token: str | None = None):
        return client.post(
            "/phone/events/",
            data=json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token or line.token}"},
        )

    return post


class FakeProvider:
    """An HTTP server on loopback that records what it is sent."""

    def __init__(self, status: int = 200, reply: dict | None = None) -> None:
        self.requests: list[dict] = []
        self.status = status
        self.reply = reply or {"id": "fake-1", "sid": "SMfake"}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("Content-Length", 0))
                provider.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length).decode(),
                    }
                )
                body = json.dumps(provider.reply).encode()
                self.send_response(provider.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_provider():
    provider = FakeProvider()
    yield provider
    provider.close()
