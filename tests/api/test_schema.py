"""The OpenAPI document: served, complete, and the checked-in copy kept current."""

from __future__ import annotations

import json

from django.core.management import call_command
from django.test import Client

from tiski.api.management.commands.api_schema import CHECKED_IN
from tiski.api.openapi import document_text


def test_checked_in_schema_is_current():
    """Fails when the API changed without `tiski api-schema --write`."""
    assert CHECKED_IN.read_text() == document_text(), "run: tiski api-schema --write"


def test_schema_is_served_and_describes_the_api(api_for, make_user):
    response = api_for(make_user()).get("/api/v1/schema/")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/tickets/{number}" in document["paths"]
    assert set(document["components"]["securitySchemes"]) == {
        "BearerToken",
        "OAuthClientCredentials",
        "DeskSession",
    }
    flow = document["components"]["securitySchemes"]["OAuthClientCredentials"]["flows"]
    assert flow["clientCredentials"]["tokenUrl"] == "/api/oauth/token"
    post = document["paths"]["/api/v1/tickets/{number}/messages"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert json.loads(document_text())["paths"].keys() == document["paths"].keys()


def test_reference_page_renders_without_outside_assets(make_user):
    client = Client()
    client.force_login(make_user())
    page = client.get("/api/v1/reference/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/v1/tickets/{number}" in html and "TicketOut" in html
    assert "cdn" not in html.lower()


def test_check_command(capsys):
    call_command("api_schema", "--check")
    assert "up to date" in capsys.readouterr().out
