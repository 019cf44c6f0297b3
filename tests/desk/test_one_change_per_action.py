"""One agent action in the desk is one unit of work: every after-change
handler (SLA, routing, the push, search, rules, mail, ...) runs once for it."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from tiski.macros.models import Macro
from tiski.tickets import changes
from tiski.tickets.models import MessageKind, Priority, Status

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler_calls(monkeypatch, settings):
    """Count, per handler path, how often it ran, and for which tickets."""
    calls: Counter[tuple[str, int]] = Counter()
    real = changes._handlers
    real.cache_clear()

    def counted(paths):
        wrapped = []
        for path, handler in zip(paths, real(paths), strict=True):

            def run(change, path=path, handler=handler):
                calls[(path, change.ticket_id)] += 1
                handler(change)

            wrapped.append(run)
        return tuple(wrapped)

    monkeypatch.setattr(changes, "_handlers", counted)
    yield calls
    real.cache_clear()


def _every_handler_once(calls, settings, ticket) -> None:
    paths = list(settings.TISKI_TICKET_CHANGE_HANDLERS)
    assert {path: calls[(path, ticket.pk)] for path in paths} == {path: 1 for path in paths}


def test_a_reply_with_a_ready_answer_is_one_change(
    client,
    make_ticket,
    make_user,
    mailbox,
    handler_calls,
    settings,
    django_capture_on_commit_callbacks,
):
    """The reply, the "send as" status and the ready answer's priority and tag
    are announced together: SLA, rules, search and the push run once."""
    agent = make_user()
    ticket = make_ticket()
    macro = Macro.objects.create(
        name="Kiireellinen",
        shortcut="kiire",
        text_fi="Hoidamme asian heti.",
        set_priority=Priority.HIGH,
        add_tags=["kiire"],
    )
    client.login(username=agent.email, password=PASSWORD)
    handler_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:ticket-reply", args=[ticket.number]),
            {
                "kind": "public",
                "text": "Hoidamme asian heti.",
                "macro": macro.pk,
                "status_after": Status.PENDING,
                "last_seen_message": ticket.messages.last().pk,
            },
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.PENDING, Priority.HIGH)
    assert list(ticket.tags.values_list("name", flat=True)) == ["kiire"]
    assert ticket.messages.filter(kind=MessageKind.PUBLIC).count() == 1
    _every_handler_once(handler_calls, settings, ticket)


def test_a_side_panel_save_is_one_change(
    client, make_ticket, make_user, handler_calls, settings, django_capture_on_commit_callbacks
):
    """Fields and tags saved together: every handler runs once."""
    agent = make_user()
    ticket = make_ticket()
    client.login(username=agent.email, password=PASSWORD)
    handler_calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:ticket-update", args=[ticket.number]),
            {
                "status": Status.OPEN,
                "priority": Priority.URGENT,
                "type": "",
                "team": "",
                "assignee": agent.pk,
                "due_at": "",
                "tags": "lasku, vip",
            },
        )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert set(ticket.tags.values_list("name", flat=True)) == {"lasku", "vip"}
    _every_handler_once(handler_calls, settings, ticket)
