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


def test_a_refresh_from_the_oldest_shown_message_keeps_the_loaded_ones(
    make_ticket, agent, agent_client
):
    """The live refresh sends ``shown_from``: the conversation comes back from
    that message on, new messages included, not cut to the latest window."""
    ticket = conversation(make_ticket, agent, PAGE_MESSAGES + 12)
    ids = all_ids(ticket)
    url = reverse("desk:ticket-conversation", args=[ticket.number])
    older_url = reverse("desk:ticket-conversation-older", args=[ticket.number])
    actions.add_message(
        ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="Uusin huomio"
    )
    newest = all_ids(ticket)[-1]

    kept = agent_client.get(url, {"shown_from": ids[5]}).content.decode()
    assert shown_ids(kept) == [*ids[5:], newest]
    assert f"{older_url}?before={ids[5]}" in kept

    # From the very first message: everything, and no "show older" button.
    everything = agent_client.get(url, {"shown_from": ids[0]}).content.decode()
    assert shown_ids(everything) == [*ids, newest]
    assert older_url not in everything

    # Without it, the latest window as before.
    assert len(shown_ids(agent_client.get(url).content.decode())) == PAGE_MESSAGES


def test_a_side_panel_save_keeps_the_loaded_messages(make_ticket, agent, agent_client):
    ticket = conversation(make_ticket, agent, PAGE_MESSAGES + 5)
    ids = all_ids(ticket)
    response = agent_client.post(
        reverse("desk:ticket-update", args=[ticket.number]),
        {"status": "open", "priority": "high", "tags": "", "shown_from": str(ids[0])},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert shown_ids(response.content.decode()) == ids


@pytest.mark.parametrize("value", ["other-ticket", "²", "9" * 40, "-3", "abc", ""])
def test_a_foreign_or_odd_shown_from_gives_the_latest_window(
    make_ticket, agent, agent_client, value
):
    """Another ticket's message id widens nothing (and shows nothing of it);
    junk is ignored rather than an error."""
    ticket = conversation(make_ticket, agent, PAGE_MESSAGES + 5)
    other = conversation(make_ticket, agent, 3)
    if value == "other-ticket":
        value = str(all_ids(other)[0])
    url = reverse("desk:ticket-conversation", args=[ticket.number])
    response = agent_client.get(url, {"shown_from": value})
    assert response.status_code == 200
    assert shown_ids(response.content.decode()) == all_ids(ticket)[-PAGE_MESSAGES:]
