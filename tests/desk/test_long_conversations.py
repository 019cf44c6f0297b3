"""The ticket page with long conversations: a window of the latest messages,
older ones on demand, a constant number of queries, and cached message blocks
that never show stale content or another request's CSRF token."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.customers.actions import save_contact
from tiski.desk.timeline import PAGE_MESSAGES
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Via

pytestmark = pytest.mark.django_db

MESSAGE_ID = re.compile(r'id="message-(\d+)"')


@pytest.fixture
def agent(make_user):
    return make_user()


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.login(email=agent.email, password=PASSWORD)
    return client


def conversation(make_ticket, agent, messages: int):
    """A ticket with ``messages`` messages in all, customer and agent in turn."""
    ticket = make_ticket()
    for n in range(1, messages):
        customer = n % 2 == 0
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER if customer else MessageKind.INTERNAL,
            actor=None if customer else agent,
            author_contact=ticket.requester if customer else None,
            via=Via.CHANNEL if customer else Via.AGENT,
            channel="email",
            text=f"Viesti numero {n}",
        )
    return ticket


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in MESSAGE_ID.findall(html)]


def all_ids(ticket) -> list[int]:
    return list(ticket.messages.order_by("created_at", "pk").values_list("pk", flat=True))


def test_page_shows_the_latest_messages_and_loads_older_ones_on_demand(
    make_ticket, agent, agent_client
):
    ticket = conversation(make_ticket, agent, PAGE_MESSAGES + 12)
    ids = all_ids(ticket)

    page = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert shown_ids(page) == ids[-PAGE_MESSAGES:]
    older_url = reverse("desk:ticket-conversation-older", args=[ticket.number])
    assert f"{older_url}?before={ids[-PAGE_MESSAGES]}" in page

    older = agent_client.get(older_url, {"before": ids[-PAGE_MESSAGES]}).content.decode()
    assert shown_ids(older) == ids[:12]
    # The first stretch holds the "created" event; no further button.
    assert older_url not in older
    assert "sys-event" in older


def test_a_link_to_an_old_message_widens_the_window_to_it(make_ticket, agent, agent_client):
    ticket = conversation(make_ticket, agent, PAGE_MESSAGES + 20)
    first = ticket.messages.order_by("created_at", "pk").first()

    page = agent_client.get(first.get_absolute_url()).content.decode()

    assert first.pk in shown_ids(page)
    assert shown_ids(page)[-1] == all_ids(ticket)[-1]


def test_queries_do_not_grow_with_the_conversation(make_ticket, agent, agent_client):
    short = conversation(make_ticket, agent, 3)
    long = conversation(make_ticket, agent, PAGE_MESSAGES + 40)
    agent_client.get(short.get_absolute_url())  # session and caches warm

    counts = []
    for ticket in (short, long, short):
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(ticket.get_absolute_url()).status_code == 200
        counts.append(len(queries))

    assert counts[1] == counts[0] == counts[2], counts


def test_a_cached_block_follows_changes_to_what_it_shows(make_ticket, agent, agent_client):
    ticket = conversation(make_ticket, agent, 4)
    url = ticket.get_absolute_url()
    assert "Maija Meikäläinen" in agent_client.get(url).content.decode()

    emails = [i.value for i in ticket.requester.identities.filter(kind="email")]
    save_contact(ticket.requester, actor=agent, name="Maija Virtanen", emails=emails)
    page = agent_client.get(url).content.decode()
    assert "Maija Virtanen" in page
    assert "Maija Meikäläinen" not in page

    # Closing the ticket removes the per-message "move" forms.
    assert "Move or split" in page or "Siirrä" in page
    move_url = reverse("desk:message-move", args=[ticket.number, all_ids(ticket)[0]])
    assert move_url in page
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.CLOSED)
    assert move_url not in agent_client.get(url).content.decode()


def test_each_request_gets_its_own_csrf_token_in_cached_blocks(make_ticket, make_user):
    first, second = make_user(), make_user()
    ticket = conversation(make_ticket, first, 3)
    target = make_ticket()
    tokens = []
    for user in (first, second):
        client = Client(enforce_csrf_checks=True)
        client.login(email=user.email, password=PASSWORD)
        page = client.get(ticket.get_absolute_url()).content.decode()
        move_url = reverse("desk:message-move", args=[ticket.number, all_ids(ticket)[-1]])
        form = page[page.index(f'action="{move_url}"') :]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        tokens.append(token)
        if user is second:
            # The second agent's page came from the cache; its token must work.
            response = client.post(
                move_url, {"target": str(target.number), "csrfmiddlewaretoken": token}
            )
            assert response.status_code == 302
            assert ticket.messages.count() == 2
    assert tokens[0] != tokens[1]
    assert "tiski-csrf-marker" not in page
