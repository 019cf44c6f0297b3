"""Zenpy, the Python Zendesk client, unchanged against a live Tiski.

The server is uvicorn running Tiski's ASGI application on loopback (the
browser tests' server). Zenpy builds ``https://{subdomain}.zendesk.com``
URLs; its own ``ZENPY_FORCE_NETLOC``/``ZENPY_FORCE_SCHEME`` settings point
it at the test server instead, with no change to the library.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket, User
from zenpy.lib.exception import APIException, RecordNotFoundException

from tests.browser.conftest import asgi_server  # noqa: F401 - the live server fixture
from tiski.accounts.models import Role
from tiski.api import tokens
from tiski.api.models import Scope
from tiski.tickets.models import Message, MessageKind
from tiski.tickets.models import Ticket as TiskiTicket


@pytest.fixture
def desk(asgi_server, monkeypatch, make_user, make_team, make_ticket, make_contact, mailbox):  # noqa: F811
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", asgi_server.removeprefix("http://"))
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    support = make_team("Tuki")
    hr = make_team("Henkilöstö", restricted=True)
    agent = make_user(teams=(support,), email="aino@tiski.example", name="Aino Agentti")
    liisa = make_contact(email="liisa@example.fi", name="Liisa Laine")
    order = make_ticket(
        subject="Tilaus 81723 ei ole saapunut", requester=liisa, team=support, tags=["verkkokauppa"]
    )
    secret = make_ticket(subject="Salainen irtisanominen", team=hr)
    _token, raw = tokens.create_token(agent, name="zenpy", scope=Scope.WRITE)
    client = Zenpy(subdomain="tiski", email=agent.email, token=raw)
    return {
        "zenpy": client,
        "agent": agent,
        "team": support,
        "liisa": liisa,
        "order": order,
        "secret": secret,
        "make_user": make_user,
    }


def test_lists_and_shows_tickets_it_may_see(desk):
    zenpy, order = desk["zenpy"], desk["order"]
    listed = {t.id: t for t in zenpy.tickets()}
    assert set(listed) == {order.number}  # the restricted team's ticket is not there
    shown = zenpy.tickets(id=order.number)
    assert shown.subject == "Tilaus 81723 ei ole saapunut"
    assert shown.status == "new" and shown.priority == "normal"
    assert shown.group_id == desk["team"].pk and shown.tags == ["verkkokauppa"]
    assert shown.requester.email == "liisa@example.fi"  # Zenpy follows requester_id to /users
    assert shown.requester.name == "Liisa Laine"
    with pytest.raises(RecordNotFoundException):
        zenpy.tickets(id=desk["secret"].number)
    many = list(zenpy.tickets(ids=[order.number, desk["secret"].number]))
    assert [t.id for t in many] == [order.number]


def test_create_with_comment_and_update_with_comment(desk):
    zenpy, agent = desk["zenpy"], desk["agent"]
    audit = zenpy.tickets.create(
        Ticket(
            subject="Lasku on väärin",
            # The agent's own words (Zendesk's first comment is the caller's): a note.
            comment=Comment(body="Laskussa 4411 on väärä summa.", public=False),
            requester=User(name="Pekka Puro", email="pekka@example.fi"),
            priority="high",
            group_id=desk["team"].pk,
            tags=["lasku"],
        )
    )
    created = TiskiTicket.objects.get(number=audit.ticket.id)
    assert created.subject == "Lasku on väärin" and created.priority == "high"
    assert created.requester.emails == ["pekka@example.fi"]
    first = created.messages.get()
    assert (first.kind, first.author_user) == (MessageKind.INTERNAL, agent)
    assert created.events.filter(via="api").exists()

    ticket = zenpy.tickets(id=created.number)
    ticket.status = "pending"
    ticket.assignee_id = agent.pk
    ticket.comment = Comment(body="Korjaamme laskun, palaan asiaan.", public=True)
    zenpy.tickets.update(ticket)
    created.refresh_from_db()
    assert (created.status, created.assignee) == ("pending", agent)
    reply = created.messages.get(kind=MessageKind.PUBLIC)
    assert reply.text == "Korjaamme laskun, palaan asiaan." and reply.author_user == agent

    ticket = zenpy.tickets(id=created.number)
    ticket.status = "hold"
    ticket.comment = Comment(body="Odotetaan kirjanpitoa.", public=False)
    zenpy.tickets.update(ticket)
    created.refresh_from_db()
    assert created.status == "on_hold"
    assert (
        created.messages.filter(kind=MessageKind.INTERNAL).last().text == "Odotetaan kirjanpitoa."
    )

    comments = list(zenpy.tickets.comments(ticket=created.number))
    assert [(c.body, c.public) for c in comments] == [
        ("Laskussa 4411 on väärä summa.", False),
        ("Korjaamme laskun, palaan asiaan.", True),
        ("Odotetaan kirjanpitoa.", False),
    ]
    assert comments[1].author_id == agent.pk


def test_light_agent_cannot_comment_publicly(desk):
    expert = desk["make_user"](role=Role.LIGHT_AGENT, teams=(desk["team"],))
    _token, raw = tokens.create_token(expert, name="zenpy", scope=Scope.WRITE)
    zenpy = Zenpy(subdomain="tiski", email=expert.email, token=raw)
    ticket = zenpy.tickets(id=desk["order"].number)
    ticket.comment = Comment(body="Suoraan asiakkaalle", public=True)
    with pytest.raises(APIException) as refused:
        zenpy.tickets.update(ticket)
    assert refused.value.response.status_code == 403
    assert not Message.objects.filter(text="Suoraan asiakkaalle").exists()
    ticket = zenpy.tickets(id=desk["order"].number)
    ticket.comment = Comment(body="Sisäinen huomio", public=False)
    zenpy.tickets.update(ticket)
    assert Message.objects.get(text="Sisäinen huomio").kind == MessageKind.INTERNAL


def test_search_users_groups_organizations(desk):
    zenpy, order = desk["zenpy"], desk["order"]
    found = list(zenpy.search(type="ticket", status_less_than="solved", tags="verkkokauppa"))
    assert [t.id for t in found] == [order.number]
    assert list(zenpy.search("Salainen", type="ticket")) == []
    assert [t.id for t in zenpy.search("tilaus", type="ticket", group=desk["team"].name)] == [
        order.number
    ]
    me = zenpy.users.me()
    assert (me.id, me.role, me.email) == (desk["agent"].pk, "agent", "aino@tiski.example")
    emails = {u.email for u in zenpy.users()}
    assert {"aino@tiski.example", "liisa@example.fi"} <= emails
    assert [u.name for u in zenpy.users.search(query="liisa@example.fi")] == ["Liisa Laine"]
    groups = {g.name: g for g in zenpy.groups()}
    assert set(groups) == {"Tuki", "Henkilöstö"}
    assert groups["Henkilöstö"].is_public is False
    assert zenpy.groups(id=desk["team"].pk).name == "Tuki"
    fields = [f.type for f in zenpy.ticket_fields()]
    assert fields[:3] == ["subject", "description", "status"]


def test_incremental_export(desk):
    zenpy, order = desk["zenpy"], desk["order"]
    start = datetime.now(UTC) - timedelta(hours=1)
    by_cursor = [t.id for t in zenpy.tickets.incremental(start_time=start)]
    assert by_cursor == [order.number]
    by_time = [t.id for t in zenpy.tickets.incremental(start_time=start, paginate_by_time=True)]
    assert by_time == [order.number]
    later = [t.id for t in zenpy.tickets.incremental(start_time=int(time.time()) + 3600)]
    assert later == []


def test_zenpy_follows_cursor_pages(desk):
    zenpy, order = desk["zenpy"], desk["order"]
    more = [
        zenpy.tickets.create(
            Ticket(subject=f"Sivutus {i}", comment=Comment(body="Hei"), group_id=desk["team"].pk)
        ).ticket.id
        for i in range(2)
    ]
    # page[size]=2: three tickets take two pages, followed through links.next.
    assert [t.id for t in zenpy.tickets(cursor_pagination=2)] == [order.number, *more]
    people = [u.id for u in zenpy.users(cursor_pagination=1)]
    assert len(people) == len(set(people)) >= 4  # agents, then contacts, one per page
    assert desk["agent"].pk in people
