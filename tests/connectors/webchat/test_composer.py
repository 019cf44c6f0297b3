"""The ticket page of a chat says where a public reply will go: into the open
chat while the visitor is there, by email once they have left."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tiski.connectors.webchat import services
from tiski.connectors.webchat.models import ChatWidget

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat_ticket(make_team, mailbox):
    widget = ChatWidget.objects.create(name="Kauppa", default_team=make_team("Chat"))
    session = services.start_session(widget, "fi")
    services.identify(session, name="Aino Asiakas", email="aino@example.com")
    services.receive(session, text="Onko varakannuja?", client_id="c1")
    session.refresh_from_db()
    return session


def page(client, user, ticket) -> str:
    client.login(username=user.email, password=PASSWORD)
    return client.get(ticket.get_absolute_url()).content.decode()


def test_the_composer_says_the_visitor_sees_the_reply_while_present(
    client, admin_user, chat_ticket
):
    services.opened(chat_ticket.pk)

    html = page(client, admin_user, chat_ticket.ticket)

    assert "sees the reply at once" in html or "näkee vastauksen heti" in html
    assert "aino@example.com&gt;" not in html


def test_the_composer_says_the_reply_goes_by_email_once_the_visitor_left(
    client, admin_user, chat_ticket
):
    services.opened(chat_ticket.pk)
    services.closed(chat_ticket.pk)

    html = page(client, admin_user, chat_ticket.ticket)

    assert "poistunut verkkochatista" in html or "has left the web chat" in html
    assert "aino@example.com" in html
