"""Settings → Web chat: admins add and edit widgets and copy the embed line."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tiski.connectors.webchat.models import ChatWidget
from tiski.setup.models import SettingChange

pytestmark = pytest.mark.django_db


def test_an_admin_adds_a_widget_and_gets_the_snippet(client, admin_user, make_team):
    team = make_team("Chat")
    client.login(username=admin_user.email, password=PASSWORD)
    assert client.get("/settings/chat-widgets/").status_code == 200
    response = client.post(
        "/settings/chat-widgets/new/",
        {
            "name": "Verkkokauppa",
            "origins": "https://www.kauppa.example/\n\nhttp://localhost:8000",
            "default_team": team.pk,
            "greeting_fi": "Hei!",
            "active": "on",
        },
    )
    widget = ChatWidget.objects.get()
    assert response.status_code == 302
    assert widget.allowed_origins == ["https://www.kauppa.example", "http://localhost:8000"]
    assert widget.default_team == team
    page = client.get(f"/settings/chat-widgets/{widget.pk}/").content.decode()
    assert f"/chat/{widget.public_key}/widget.js" in page
    assert "&lt;script src=" in page  # shown as text to copy, never run here
    assert SettingChange.objects.filter(section="webchat").exists()
    listing = client.get("/settings/chat-widgets/").content.decode()
    assert "Verkkokauppa" in listing


def test_an_address_with_a_path_is_not_an_origin(client, admin_user):
    client.login(username=admin_user.email, password=PASSWORD)
    response = client.post(
        "/settings/chat-widgets/new/",
        {"name": "X", "origins": "https://kauppa.example/sivu", "active": "on"},
    )
    assert response.status_code == 400
    assert not ChatWidget.objects.exists()


def test_agents_cannot_open_the_chat_settings(client, make_user):
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    assert client.get("/settings/chat-widgets/").status_code == 403
