"""The widget's HTTP endpoints: the script, its settings, the history, and CORS per widget."""

from __future__ import annotations

import json

import pytest

from tiski.connectors.webchat import services
from tiski.customers.actions import get_or_create_contact

from .conftest import SITE

pytestmark = pytest.mark.django_db


def test_the_script_is_served_for_an_active_widget_only(client, widget):
    response = client.get(f"/chat/{widget.public_key}/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "new WebSocket" in body and "/ws/chat/" in body
    # Small and self-contained: no other script is loaded from anywhere.
    assert len(response.content) < 40_000
    assert 'createElement("script")' not in body and "import(" not in body
    assert client.get("/chat/nope/widget.js").status_code == 404
    widget.active = False
    widget.save()
    assert client.get(f"/chat/{widget.public_key}/widget.js").status_code == 404


def test_config_answers_allowed_sites_with_cors_and_refuses_others(client, widget):
    url = f"/chat/{widget.public_key}/config?lang=en"
    ok = client.get(url, HTTP_ORIGIN=SITE)
    assert ok.status_code == 200
    assert ok["Access-Control-Allow-Origin"] == SITE
    assert ok.json()["greeting"] == "Hi! How can we help?"
    other = client.get(url, HTTP_ORIGIN="https://evil.example")
    assert other.status_code == 403
    assert "Access-Control-Allow-Origin" not in other


def test_history_needs_the_visitors_token(client, widget):
    session = services.start_session(widget, "fi")
    contact, _ = get_or_create_contact("email", "liisa@example.com", name="Liisa")
    session.contact = contact
    session.save()
    services.receive(session, client_id="c1", text="Onko tämä varastossa?")
    url = f"/chat/{widget.public_key}/history"

    preflight = client.options(url, HTTP_ORIGIN=SITE, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Headers"] == "Content-Type, X-Chat-Token"

    def post(token: str, origin: str = SITE):
        return client.post(
            url, json.dumps({"token": token}), content_type="application/json", HTTP_ORIGIN=origin
        )

    found = post(session.visitor_token)
    assert found.status_code == 200
    assert found.json()["identified"] is True
    assert [i["text"] for i in found.json()["history"]] == ["Onko tämä varastossa?"]
    assert post("guessed").status_code == 404
    assert post(session.visitor_token, origin="https://evil.example").status_code == 403
    bad = client.post(url, b"{", content_type="application/json", HTTP_ORIGIN=SITE)
    assert bad.status_code == 400


def test_a_token_of_another_widget_finds_nothing(client, widget):
    from tiski.connectors.webchat.models import ChatWidget

    other = ChatWidget.objects.create(name="Toinen", allowed_origins=[SITE])
    session = services.start_session(other, "fi")
    response = client.post(
        f"/chat/{widget.public_key}/history",
        json.dumps({"token": session.visitor_token}),
        content_type="application/json",
        HTTP_ORIGIN=SITE,
    )
    assert response.status_code == 404
