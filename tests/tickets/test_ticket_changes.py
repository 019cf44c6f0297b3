"""One TicketChange per action, announced after commit to every handler."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from tiski.tickets import actions, changes
from tiski.tickets.models import MessageKind, Via

seen: list[changes.TicketChange] = []


def record(change: changes.TicketChange) -> None:
    seen.append(change)


def explode(change: changes.TicketChange) -> None:
    raise RuntimeError("handler bug")


@pytest.fixture
def handlers(settings):
    seen.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        "tests.tickets.test_ticket_changes.explode",
        "tests.tickets.test_ticket_changes.record",
    ]
    yield seen
    changes._handlers.cache_clear()


def test_create_with_message_tags_is_one_change(
    handlers, make_contact, make_user, django_capture_on_commit_callbacks
):
    agent = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_ticket(
            requester=make_contact(),
            subject="Apua",
            text="Viesti",
            actor=None,
            via=Via.CHANNEL,
            channel="email",
            tags=["vip"],
            assignee=agent,
        )
    assert len(handlers) == 1  # the broken handler before it did not stop it
    change = handlers[0]
    assert change.created and change.ticket_id == ticket.pk
    assert change.message_kinds == {MessageKind.CUSTOMER}
    assert change.tags_added == ("vip",)


def test_update_reports_first_old_and_last_new(
    handlers, make_ticket, make_user, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    agent = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(
            ticket,
            kind=MessageKind.PUBLIC,
            actor=agent,
            via=Via.AGENT,
            text="Vastaus",
            status_after="pending",
        )
    (change,) = handlers
    assert change.fields["status"] == ("new", "pending")
    assert change.via == Via.AGENT and change.actor_id == agent.pk
    assert change.message_kinds == {MessageKind.PUBLIC}


def test_rolled_back_action_announces_nothing(
    handlers, make_ticket, django_capture_on_commit_callbacks
):
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Exception):  # noqa: B017 - any error rolls back
            actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, priority="nonsense")
    assert callbacks == [] and handlers == []


def test_check_reports_a_broken_handler_path(settings):
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tiski.nowhere.handler"]
    errors = [e for e in run_checks() if e.id == "tiski.E001"]
    assert errors and "tiski.nowhere.handler" in errors[0].msg


bulk_calls: list[list[changes.TicketChange]] = []


def record_in_bulk(change: changes.TicketChange) -> None:
    seen.append(change)


def _record_many(batch: list[changes.TicketChange]) -> None:
    bulk_calls.append(list(batch))


record_in_bulk.handle_many = _record_many  # type: ignore[attr-defined]


def test_batched_changes_reach_bulk_handlers_in_one_call(
    settings, make_ticket, django_capture_on_commit_callbacks
):
    """Inside batched(), committed changes wait for the end of the block;
    a handler with handle_many gets them all at once, the others one by one."""
    seen.clear()
    bulk_calls.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        "tests.tickets.test_ticket_changes.record",
        "tests.tickets.test_ticket_changes.record_in_bulk",
    ]
    try:
        tickets = [make_ticket(subject=f"Erä {n}") for n in range(3)]
        with changes.batched():
            with django_capture_on_commit_callbacks(execute=True):
                for ticket in tickets:
                    actions.update_ticket(ticket, actor=None, via=Via.RULE, priority="high")
            assert seen == [] and bulk_calls == []  # committed, not yet handed over
        assert [c.ticket_id for c in seen] == [t.pk for t in tickets]  # `record`, one by one
        assert len(bulk_calls) == 1
        assert [c.fields["priority"] for c in bulk_calls[0]] == [("normal", "high")] * 3
    finally:
        changes._handlers.cache_clear()


def test_batched_sla_refresh_matches_one_by_one(make_ticket, django_capture_on_commit_callbacks):
    """The real SLA handler's bulk form leaves the same deadlines as per change."""
    from tiski.sla.models import TicketSla

    tickets = [make_ticket(subject=f"Kiire {n}") for n in range(4)]
    with changes.batched():
        with django_capture_on_commit_callbacks(execute=True):
            for ticket in tickets:
                actions.update_ticket(ticket, actor=None, via=Via.RULE, priority="urgent")
    batched = dict(
        TicketSla.objects.filter(ticket__in=tickets).values_list("ticket", "next_due_at")
    )
    with django_capture_on_commit_callbacks(execute=True):
        for ticket in tickets:
            actions.update_ticket(ticket, actor=None, via=Via.RULE, priority="low")
            actions.update_ticket(ticket, actor=None, via=Via.RULE, priority="urgent")
    single = dict(TicketSla.objects.filter(ticket__in=tickets).values_list("ticket", "next_due_at"))
    assert batched == single and all(batched.values())


def test_a_reply_is_read_once_for_every_reply_channel(
    make_ticket, make_user, mailbox, django_capture_on_commit_callbacks
):
    """Each reply channel (email, WhatsApp, SMS, Messenger, Telegram) asks
    whether a public reply is its own: within one dispatch they share one
    read of the message, and the email still goes out."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiski.connectors.models import OutboundEmail

    ticket = make_ticket()
    agent = make_user()
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
    ):
        reply = actions.add_message(
            ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text="Vastaus"
        )
    by_id = re.compile(rf'"tickets_message"\."id" = {reply.pk}\b')
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and "INNER JOIN" in q["sql"] and by_id.search(q["sql"])
    ]
    assert len(reads) == 1, reads
    assert OutboundEmail.objects.filter(message=reply).exists()
    # Outside a dispatch every call reads afresh (nothing is kept between changes).
    with CaptureQueriesContext(connection) as later:
        assert changes.message(reply.pk) == reply
        assert changes.message(reply.pk) == reply
    assert len(later.captured_queries) == 2
