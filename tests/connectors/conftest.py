from __future__ import annotations

import pytest

from ..conftest import PASSWORD
from .provider import FakeApi


@pytest.fixture
def fake_api():
    api = FakeApi()
    yield api
    api.close()


@pytest.fixture
def agent_client(client, make_user, team):
    """An agent of the channel's team (each channel's conftest says which), logged in."""
    agent = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    client.login(username=agent.email, password=PASSWORD)
    return client


@pytest.fixture
def admin_client(client, make_user):
    """An admin reading the settings pages in English, logged in."""
    admin = make_user(name="Anna Admin", email="anna@yritys.fi", role="admin", language="en")
    client.login(username=admin.email, password=PASSWORD)
    return client
