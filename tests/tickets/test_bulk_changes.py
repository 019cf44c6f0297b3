"""Bulk changes from the ticket lists: permissions, one change per ticket, exact undo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.macros.models import Macro
from tiski.tickets import actions, changes
from tiski.tickets.actions import bulk
from tiski.tickets.models import (
    BulkChange,
    EventKind,
    MessageKind,
    Priority,
    Status,
    Ticket,
    TicketMerge,
    TicketType,
    Via,
)

seen: list[changes.TicketChange] = []


def record(change: changes.TicketChange) -> None:
    seen.append(change)


@pytest.fixture
def handlers(settings):
    seen.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tests.tickets.test_bulk_changes.record"]
    yield seen
    changes._handlers.cache_clear()


@pytest.fixture
def team(make_team):
    return make_team("Asiakastuki")


@pytest.fixture
def agent(make_user, team):
    return make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")


@pytest.fixture
def colleague(make_user, team):
    return make_user(teams=(team,), name="Pekka Korhonen", email="pekka@yritys.fi")


@pytest.fixture
def agent_client(client, agent):
    client.login(username=agent.email, password=PASSWORD)
    return client


def _post(client, tickets, **data):
    payload = {"ticket": [str(t.pk) for t in tickets], "next": "/?view=open", **data}
    return client.post(reverse("desk:bulk"), payload)


def _state(ticket: Ticket) -> dict:
    ticket.refresh_from_db()
    return bulk.snapshot(ticket)


def test_bulk_update_changes_every_ticket_as_one_change_each(
    agent_client, agent, colleague, team, make_ticket, handlers, django_capture_on_commit_callbacks
):
    """Assignee, status, priority, type, team and tags in one post: each ticket gets
    its events and exactly one announced change, with the fields and tags in it."""
    order = TicketType.objects.get(slug="order")
    tickets = [make_ticket(subject=f"Tilaus {n}", team=team) for n in range(3)]
    actions.set_tags(tickets[0], ["vanha"], actor=agent, via=Via.AGENT)
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            agent_client,
            tickets,
            op="update",
            assignee=str(colleague.pk),
            status=Status.PENDING,
            priority=Priority.HIGH,
            type=str(order.pk),
            add_tags="vip, Lasku",
            remove_tags="vanha",
        )
    assert response.status_code == 302 and response["Location"] == "/?view=open"
    for ticket in tickets:
        state = _state(ticket)
        assert state["assignee"] == colleague.pk
        assert state["status"] == Status.PENDING
        assert state["priority"] == Priority.HIGH
        assert state["type"] == order.pk
        assert state["tags"] == ["lasku", "vip"]
        assert ticket.events.filter(field="assignee", meta__bulk__isnull=False).count() == 1
    assert sorted(c.ticket_id for c in handlers) == sorted(t.pk for t in tickets)
    first = next(c for c in handlers if c.ticket_id == tickets[0].pk)
    assert set(first.fields) >= {"assignee", "status", "priority", "type"}
    assert set(first.tags_added) == {"lasku", "vip"} and first.tags_removed == ("vanha",)
    record_ = BulkChange.objects.get()
    assert record_.actor == agent and len(record_.tickets) == 3


def test_undo_restores_exactly_the_old_values(
    agent_client, agent, colleague, team, make_team, make_ticket
):
    """Different old values per ticket come back exactly, tags included; a field
    someone changed after the bulk change keeps the newer value."""
    other_team = make_team("Myynti")
    other_team.members.add(agent)
    question = TicketType.objects.get(slug="question")
    a = make_ticket(subject="A", team=team, priority=Priority.LOW, type=question)
    b = make_ticket(subject="B", team=other_team, assignee=colleague)
    actions.update_ticket(b, actor=agent, via=Via.AGENT, status=Status.PENDING)
    actions.set_tags(b, ["vip", "lasku"], actor=agent, via=Via.AGENT)
    c = make_ticket(subject="C", team=None)
    before = {t.pk: _state(t) for t in (a, b, c)}

    _post(
        agent_client,
        [a, b, c],
        op="update",
        assignee=str(agent.pk),
        status=Status.SOLVED,
        priority=Priority.URGENT,
        type="none",
        team=str(team.pk),
        add_tags="kiire",
        remove_tags="vip",
    )
    # After the bulk change someone else moves C on; undo must leave that alone.
    c.refresh_from_db()
    actions.update_ticket(c, actor=colleague, via=Via.AGENT, priority=Priority.LOW)

    record_ = BulkChange.objects.get()
    page = agent_client.get("/?view=open").content.decode()
    assert f'data-bulk-id="{record_.pk}"' in page and 'id="bulk-undo"' in page
    response = agent_client.post(
        reverse("desk:bulk-undo", args=[record_.pk]), {"next": "/?view=open"}
    )
    assert response.status_code == 302

    assert _state(a) == before[a.pk]
    assert _state(b) == before[b.pk]
    after_c = _state(c)
    assert after_c["priority"] == Priority.LOW  # the later change stays
    assert {k: v for k, v in after_c.items() if k != "priority"} == {
        k: v for k, v in before[c.pk].items() if k != "priority"
    }
    # The new ticket C was "new" before: assigning it opened it; undo says new again.
    assert after_c["status"] == Status.NEW and after_c["assignee"] is None
    record_.refresh_from_db()
    assert record_.undone_at is not None and record_.undone_by == agent
    assert (
        agent_client.post(reverse("desk:bulk-undo", args=[record_.pk]), {}).status_code == 302
    )  # a second undo is refused politely
    assert _state(a) == before[a.pk]


def test_restricted_ticket_id_posted_by_an_outsider_is_never_touched(
    client, make_user, make_team, make_ticket, team
):
    """An agent posting the id of a restricted team's ticket changes nothing on it."""
    secret_team = make_team("Johto", restricted=True)
    insider = make_user(teams=(secret_team,))
    outsider = make_user(teams=(team,))
    secret = make_ticket(subject="Salainen", team=secret_team, assignee=insider)
    mine = make_ticket(subject="Tavallinen", team=team)
    client.login(username=outsider.email, password=PASSWORD)
    before = _state(secret)
    events_before = secret.events.count()

    _post(client, [secret, mine], op="update", priority=Priority.URGENT, add_tags="x")
    assert _state(secret) == before
    assert secret.events.count() == events_before
    assert _state(mine)["priority"] == Priority.URGENT
    record_ = BulkChange.objects.get()
    assert list(record_.tickets) == [str(mine.pk)]

    # Only the secret ticket posted: nothing is selected at all.
    _post(client, [secret], op="update", priority=Priority.LOW)
    assert BulkChange.objects.count() == 1 and _state(secret) == before
    # Nor can the outsider merge it away.
    _post(client, [secret, mine], op="merge", target=str(mine.pk), confirm="1")
    assert not TicketMerge.objects.exists()


def test_only_the_author_or_an_admin_undoes(
    client, agent, colleague, admin_user, make_ticket, team
):
    ticket = make_ticket(team=team)
    record_ = actions.bulk_update_tickets(
        [ticket], actor=agent, via=Via.AGENT, fields={"priority": Priority.HIGH}
    )
    client.login(username=colleague.email, password=PASSWORD)
    client.post(reverse("desk:bulk-undo", args=[record_.pk]), {})
    assert _state(ticket)["priority"] == Priority.HIGH
    client.logout()
    client.login(username=admin_user.email, password=PASSWORD)
    client.post(reverse("desk:bulk-undo", args=[record_.pk]), {})
    assert _state(ticket)["priority"] == Priority.NORMAL


def test_closed_and_blocked_tickets_are_skipped_with_a_reason(
    agent_client, agent, make_ticket, team
):
    closed = make_ticket(subject="Suljettu", team=team)
    actions.update_ticket(closed, actor=agent, via=Via.AGENT, status=Status.CLOSED)
    parent = make_ticket(subject="Ylä", team=team)
    child = make_ticket(subject="Ala", team=team)
    actions.update_ticket(child, actor=agent, via=Via.AGENT, parent=parent)
    fine = make_ticket(subject="Hyvä", team=team)

    _post(agent_client, [closed, parent, fine], op="update", status=Status.SOLVED)
    assert _state(fine)["status"] == Status.SOLVED
    assert _state(parent)["status"] != Status.SOLVED
    record_ = BulkChange.objects.get()
    assert set(record_.skipped) == {str(closed.pk), str(parent.pk)}
    page = agent_client.get("/?view=open").content.decode()
    assert f"#{closed.number}" in page and f"#{parent.number}" in page


def test_bulk_merge_asks_for_the_target_then_merges_and_undoes(
    agent_client, agent, make_ticket, make_contact, team
):
    liisa = make_contact(email="liisa@asiakas.fi")
    first = make_ticket(subject="Eka", requester=liisa, team=team)
    second = make_ticket(subject="Toka", requester=liisa, team=team)
    third = make_ticket(subject="Kolmas", requester=liisa, team=team)

    page = _post(agent_client, [first, second, third], op="merge")
    assert page.status_code == 200
    assert f'data-bulk-target="{first.number}"' in page.content.decode()
    assert not TicketMerge.objects.exists()

    _post(agent_client, [first, second, third], op="merge", target=str(second.pk), confirm="1")
    assert set(TicketMerge.objects.values_list("source_id", flat=True)) == {first.pk, third.pk}
    assert _state(first)["status"] == Status.CLOSED
    assert second.messages.filter(kind=MessageKind.CUSTOMER).count() == 3

    record_ = BulkChange.objects.get()
    agent_client.post(reverse("desk:bulk-undo", args=[record_.pk]), {})
    assert not TicketMerge.objects.filter(undone_at__isnull=True).exists()
    assert _state(first)["status"] == Status.NEW
    assert second.messages.filter(kind=MessageKind.CUSTOMER).count() == 1


def test_bulk_ready_answer_replies_on_each_ticket_and_undo_restores_fields(
    agent_client, agent, make_ticket, team, make_contact
):
    macro = Macro.objects.create(
        name="Kiitos",
        shortcut="kiitos",
        text_fi="Kiitos viestistä, {{ requester.name }}!",
        text_en="Thanks, {{ requester.name }}!",
        set_status=Status.PENDING,
        set_priority=Priority.LOW,
        add_tags=["kiitetty"],
    )
    english = make_contact(email="john@example.com", name="John", language="en")
    tickets = [make_ticket(subject="Yksi", team=team), make_ticket(requester=english, team=team)]
    before = {t.pk: _state(t) for t in tickets}

    _post(agent_client, tickets, op="macro", macro=str(macro.pk))
    for ticket in tickets:
        state = _state(ticket)
        assert state["status"] == Status.PENDING and state["priority"] == Priority.LOW
        assert "kiitetty" in state["tags"]
    reply = tickets[1].messages.get(kind=MessageKind.PUBLIC)
    assert reply.text == "Thanks, John!"
    assert tickets[0].messages.get(kind=MessageKind.PUBLIC).text.startswith("Kiitos viestistä")
    macro.refresh_from_db()
    assert macro.usage_count == 2

    record_ = BulkChange.objects.get()
    agent_client.post(reverse("desk:bulk-undo", args=[record_.pk]), {})
    for ticket in tickets:
        # The reply made the new tickets open; undo puts every field back.
        assert _state(ticket) == before[ticket.pk]


def test_light_agent_cannot_send_a_ready_answer_in_bulk(client, make_user, make_ticket, team):
    light = make_user(role=Role.LIGHT_AGENT, teams=(team,))
    macro = Macro.objects.create(name="K", shortcut="k", text_fi="Hei")
    ticket = make_ticket(team=team)
    client.login(username=light.email, password=PASSWORD)
    _post(client, [ticket], op="macro", macro=str(macro.pk))
    assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()
    assert not BulkChange.objects.exists()


def test_lists_offer_selection_and_the_bar(agent_client, make_ticket, team):
    ticket = make_ticket(subject="Listattava", team=team)
    page = agent_client.get("/?view=open").content.decode()
    assert 'id="bulk-form"' in page and "data-bulk-all" in page
    assert f'name="ticket" value="{ticket.pk}" form="bulk-form"' in page
    rows = agent_client.get("/?view=open&partial=rows").content.decode()
    assert f'value="{ticket.pk}" form="bulk-form"' in rows


def test_no_change_chosen_changes_nothing(agent_client, make_ticket, team):
    ticket = make_ticket(team=team)
    before = _state(ticket)
    response = _post(agent_client, [ticket], op="update")
    assert response.status_code == 302
    assert _state(ticket) == before and not BulkChange.objects.exists()
    assert not ticket.events.exclude(kind=EventKind.CREATED).exclude(kind=EventKind.MESSAGE)


def test_contact_page_ticket_list_has_the_bar_too(agent_client, make_ticket, make_contact, team):
    contact = make_contact(name="Liisa")
    ticket = make_ticket(requester=contact, team=team)
    page = agent_client.get(reverse("desk:contact", args=[contact.pk])).content.decode()
    assert 'id="bulk-form"' in page and f'value="{ticket.pk}" form="bulk-form"' in page
