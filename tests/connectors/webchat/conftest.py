from __future__ import annotations

import pytest

from tiski.connectors.webchat.models import ChatWidget

SITE = "https://kauppa.example"


@pytest.fixture
def widget(db, make_team):
    return ChatWidget.objects.create(
        name="Verkkokauppa",
        allowed_origins=[SITE],
        default_team=make_team("Chat"),
        greeting_fi="Hei! Miten voimme auttaa?",
        greeting_en="Hi! How can we help?",
    )
