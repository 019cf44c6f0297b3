"""Fixtures for the Settings pages: an admin and an agent, logged in, in English."""

from __future__ import annotations

import pytest
from django.test import Client

# The real servers the email tests run, for the mailbox checks.
from tests.connectors.email.dovecot import dovecot  # noqa: F401
from tests.connectors.email.test_outbound import smtp_server  # noqa: F401
from tiski.accounts.models import Role
from tiski.setup.models import SettingChange

from ..conftest import PASSWORD


@pytest.fixture
def admin(make_user):
    # English, so assertions read the same sentences the code writes.
    return make_user(role=Role.ADMIN, language="en", name="Anna Admin")


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def agent_client(make_user) -> Client:
    client = Client()
    client.force_login(make_user(role=Role.AGENT, language="en"))
    return client


def last_change(section: str) -> SettingChange:
    return SettingChange.objects.filter(section=section).order_by("-id").first()


# The Settings sections of people and desk-wide settings log in as the shared
# `admin_user` (Finnish, like a new desk) and read the change log's actor.


@pytest.fixture
def admin_session(client, admin_user):
    client.login(username=admin_user.email, password=PASSWORD)
    return client


@pytest.fixture
def agent(make_user):
    return make_user(role=Role.AGENT, email="minna@yritys.fi", name="Minna Agentti")


@pytest.fixture
def agent_session(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client
