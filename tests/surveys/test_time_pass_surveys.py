"""A time pass that solves a backlog: the triggers answer the chunk together.

The pass solves pending tickets; the shipped satisfaction trigger (and two
more listening to the status change) answer every solve. Run once ticket by
ticket (no action has its many-tickets form: `fire` per ticket, the triggers
ticket by ticket) and once as the pass runs now (each trigger across the
chunk, surveys sent in bulk), the rows written must be the same: firings,
events, outbox mails, survey invitations, notices, and the changes the
handlers hear.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tiski.connectors.models import OutboundEmail
from tiski.customers.models import Identity
from tiski.notifications.models import Follow, Notification
from tiski.rules import engine, registry
from tiski.rules.models import RuleFiring, TimeRule, Trigger
from tiski.surveys import send
from tiski.surveys.models import SurveyInvitation, SurveySettings
from tiski.tickets import actions, automatic_mail, changes
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Event, Message, Status, Via

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY_9 = datetime(2025, 3, 10, 9, 0, tzinfo=HELSINKI)
SHIPPED = "Kysy tyytyväisyyttä, kun tiketti ratkaistaan"
# A survey link names its invitation and signs it: ids differ between runs.
SURVEY_LINK = re.compile(r"/survey/\d+/[^/\s\"]+/")

heard: list[TicketChange] = []


def record(change: TicketChange) -> None:
    heard.append(change)


class Rollback(Exception):
    pass


@pytest.fixture
def backlog(make_ticket, make_contact, make_user, mailbox, time_machine, settings):
    """Pending tickets whose solve each survey exclusion and mail rule meets."""
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        "tiski.rules.engine.on_ticket_change",
        "tiski.notifications.handlers.on_ticket_change",
        "tiski.connectors.phone.services.on_ticket_change",
        "tiski.api.webhooks.events.on_ticket_change",
        "tests.surveys.test_time_pass_surveys.record",
    ]
    settings.TISKI_AUTOMATIC_MAIL_PER_HOUR = 1
    changes._handlers.cache_clear()
    time_machine.move_to(MONDAY_9, tick=False)
    TimeRule.objects.update(active=False)
    TimeRule.objects.create(
        name="Ratkaise odottava 7 päivän jälkeen (testi)",
        conditions={
            "all": [
                {"type": "status", "op": "equals", "value": "pending"},
                {"type": "hours_since", "since": "status_changed", "op": "at_least", "hours": 168},
            ]
        },
        actions=[{"type": "set_status", "status": "solved"}],
    )
    # Before the shipped survey trigger (position 900): a tag (no batch
    # form: fired per ticket, and the survey then reads the ticket again);
    # after it, a notice to the assignee (a batch form).
    Trigger.objects.create(
        name="Ratkaistu: tunniste",
        position=100,
        events=["status_changed"],
        conditions={"all": [{"type": "status", "op": "equals", "value": "solved"}]},
        actions=[{"type": "add_tags", "tags": ["ratkaistu"]}],
    )
    Trigger.objects.create(
        name="Ratkaistu: ilmoita",
        position=950,
        events=["status_changed"],
        conditions={"all": [{"type": "tags", "op": "contains", "tags": ["ratkaistu"]}]},
        actions=[{"type": "notify", "to": "assignee", "text": "#{{ ticket.number }} ratkaistu"}],
    )
    agent = make_user(name="Antti Agentti")
    follower = make_user(name="Seuraaja")
    tickets = []
    for n in range(9):
        requester = make_contact(language="en" if n % 2 else "fi")
        ticket = make_ticket(requester=requester, assignee=agent if n % 3 else None)
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.PENDING)
        tickets.append(ticket)
    # One customer with two pending tickets: the second solve is in the cool-down.
    tickets[5].requester = tickets[4].requester
    tickets[5].save(update_fields=["requester"])
    # Opted out; bounced; an automatic sender; already surveyed about this ticket.
    tickets[1].requester.surveys_opt_out = True
    tickets[1].requester.save(update_fields=["surveys_opt_out"])
    Identity.objects.filter(contact=tickets[2].requester).update(undeliverable_at=MONDAY_9)
    Message.objects.filter(ticket=tickets[3]).update(meta={"auto_submitted": "auto-replied"})
    SurveyInvitation.objects.create(
        kind="csat",
        ticket=tickets[6],
        contact=tickets[6].requester,
        email="x@example.com",
        sent_at=MONDAY_9 - timedelta(days=30),
    )
    # A parent with an open child cannot be solved: no survey either.
    child = make_ticket()
    actions.update_ticket(child, actor=agent, via=Via.AGENT, parent=tickets[8])
    Follow.objects.create(user=follower, ticket=tickets[0])
    yield tickets + [child]
    changes._handlers.cache_clear()


def _one_by_one(monkeypatch):
    """Every action without its many-tickets form, so the pass and the
    triggers after it run ticket by ticket, as before batching."""
    for name, kind in list(registry.ACTIONS.items()):
        monkeypatch.setitem(registry.ACTIONS, name, dataclasses.replace(kind, apply_many=None))
    engine._compiled.clear()


def _snapshot(tickets, since):
    position = {ticket.pk: i for i, ticket in enumerate(tickets)}
    firings = sorted(
        (
            f.rule_name,
            position[f.ticket_id],
            f.effective,
            f.change_count,
            len(f.details["emails"]),
            len(f.details["notifications"]),
            f.details["skipped"],
            f.signature,
        )
        for f in RuleFiring.objects.all()
    )
    events = sorted(
        (position[e.ticket_id], e.kind, e.field, e.old_value, e.new_value, e.via, e.meta)
        for e in Event.objects.filter(pk__gt=since["event"])
    )
    mails = sorted(
        (
            position[m.ticket_id],
            m.kind,
            m.to,
            m.subject,
            SURVEY_LINK.sub("/survey/ID/TOKEN/", m.body_text),
            SURVEY_LINK.sub("/survey/ID/TOKEN/", m.body_html),
            m.status,
            m.last_error,
        )
        for m in OutboundEmail.objects.filter(pk__gt=since["mail"])
    )
    invitations = sorted(
        (position[i.ticket_id], i.contact_id, i.agent_id, i.team_id, i.language, i.email, i.sent_at)
        for i in SurveyInvitation.objects.filter(pk__gt=since["invitation"])
    )
    notices = sorted(
        (position[n.ticket_id], n.user_id, n.kind, n.text, n.params)
        for n in Notification.objects.all()
    )
    tags = sorted(
        (position[t.pk], name) for t in tickets for name in t.tags.values_list("name", flat=True)
    )
    changed = sorted(
        (position[c.ticket_id], c.via, sorted(c.fields.items()), c.tags_added) for c in heard
    )
    return firings, events, mails, invitations, notices, tags, changed


def _last(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _solve_chunk(tickets):
    """What a time rule's chunk does: solve them all (one is refused), then
    hand the chunk's changes to the handlers together, as `changes.batched`
    does after the chunk commits (a test's transaction never commits)."""
    with transaction.atomic():
        done = actions.update_tickets(
            tickets, actor=None, via=Via.RULE, event_meta={"rule": "testi"}, status=Status.SOLVED
        )
    solves = [
        TicketChange(
            ticket_id=t.pk, via=Via.RULE, actor_id=None, fields={"status": ("pending", "solved")}
        )
        for t in tickets
        if t.pk not in done.refused
    ]
    changes.dispatch_many(solves)
    return solves


def _cap_reached(ticket):
    """One automatic mail in the last hour: the cap of one stops the survey."""
    automatic_mail.send_automatic_mail(
        ticket=ticket,
        to=[ticket.requester.identities.get().value],
        subject="Tilaus lähti",
        text="Tilauksesi lähti tänään.",
        kind=automatic_mail.RULE,
    )


def test_the_triggers_answer_a_chunk_of_solves_as_ticket_by_ticket(
    backlog, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    """Same firings, events, mails, invitations, notices, tags and changes on both paths."""
    since = {
        "event": _last(Event),
        "mail": _last(OutboundEmail),
        "invitation": _last(SurveyInvitation),
    }
    batches: list[int] = []
    real = send.send_csat_many

    def counting(requests, **kwargs):
        batches.append(len(requests))
        return real(requests, **kwargs)

    monkeypatch.setattr(send, "send_csat_many", counting)
    time_machine.move_to(MONDAY_9 + timedelta(days=8), tick=False)
    pending = backlog[:9]

    heard.clear()
    try:
        with transaction.atomic(), monkeypatch.context() as patched:
            _one_by_one(patched)
            with django_capture_on_commit_callbacks(execute=True):
                _cap_reached(backlog[7])
                _solve_chunk(pending)
            expected = _snapshot(backlog, since)
            raise Rollback
    except Rollback:
        pass
    engine._compiled.clear()
    assert RuleFiring.objects.count() == 0  # rolled back: the same backlog again
    # ticket by ticket: each survey its own call of the one path
    assert batches and set(batches) == {1}, batches
    batches.clear()
    for ticket in pending:
        ticket.refresh_from_db()

    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _cap_reached(backlog[7])
        _solve_chunk(pending)
    got = _snapshot(backlog, since)

    names = ("firings", "events", "mails", "invitations", "notices", "tags", "changes")
    for name, part, wanted in zip(names, got, expected, strict=True):
        assert part == wanted, name
    firings, _events, _mails, invitations, notices, _tags, _changed = got
    # The chunk's surveys went out in one batch (the second ticket of a
    # requester in the next), and the backlog met every case.
    # (The on-commit dispatch the test runs after it asks each ticket on its
    # own again, through the same path, and finds it already asked.)
    assert batches[:2] == [7, 1] and set(batches[2:]) <= {1}, batches
    skipped = " ".join(" ".join(f[6]) for f in firings)
    for reason in (
        "does not want surveys",
        "bounces",
        "automatic sender",
        "already sent",
        "recently",
        "email not sent",
        "nobody to notify",
    ):
        assert reason in skipped, reason
    assert [i[0] for i in invitations] == [0, 4]  # 8 cannot be solved: an open child
    assert any(n[2] == "change" for n in notices) and any(n[2] == "rule" for n in notices)


@pytest.mark.django_db(transaction=True)
def test_a_time_pass_sends_the_surveys_of_its_chunk_together(backlog, monkeypatch, time_machine):
    """The real pass, committing: the solves' triggers run as one batch after
    the chunk commits, and write what the single path writes (above)."""
    if not Trigger.objects.filter(name=SHIPPED).exists():
        # A transactional test before this one may have flushed the shipped row.
        Trigger.objects.create(
            name=SHIPPED,
            position=900,
            events=["status_changed"],
            conditions={"all": [{"type": "status", "op": "equals", "value": "solved"}]},
            actions=[{"type": "send_survey"}],
        )
    batches: list[int] = []
    real = send.send_csat_many

    def counting(requests, **kwargs):
        batches.append(len(requests))
        return real(requests, **kwargs)

    monkeypatch.setattr(send, "send_csat_many", counting)
    time_machine.move_to(MONDAY_9 + timedelta(days=8), tick=False)
    _cap_reached(backlog[7])

    fired = engine.run_time_rules()

    assert fired == {"Ratkaise odottava 7 päivän jälkeen (testi)": 8}
    assert batches == [7, 1], batches
    position = {ticket.pk: i for i, ticket in enumerate(backlog)}
    invitations = SurveyInvitation.objects.filter(sent_at=MONDAY_9 + timedelta(days=8))
    assert sorted(position[i.ticket_id] for i in invitations) == [0, 4]
    surveys = OutboundEmail.objects.filter(kind="survey").order_by("pk")
    assert [(position[m.ticket_id], m.status == "suppressed") for m in surveys] == [
        (0, False),
        (4, False),
        (7, True),
    ]
    survey = RuleFiring.objects.filter(rule_name=SHIPPED)
    assert {position[f.ticket_id]: f.effective for f in survey} == {
        0: True,
        1: False,
        2: False,
        3: False,
        4: True,
        5: False,
        6: False,
        7: False,
    }
    assert set(backlog[4].tags.values_list("name", flat=True)) == {"ratkaistu"}
    assert Notification.objects.filter(ticket=backlog[0], kind="change").count() == 1


def _solved(make_ticket, make_user, count: int):
    agent = make_user()
    tickets = []
    for n in range(count):
        ticket = make_ticket(subject=f"Tilaus {n}", assignee=agent)
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED)
        tickets.append(ticket)
    return tickets


def test_surveys_for_a_chunk_take_the_same_queries_for_few_and_many(
    make_ticket, make_user, mailbox, settings
):
    """The shipped survey trigger answering solves: the queries do not grow with the tickets."""
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        "tiski.rules.engine.on_ticket_change",
        "tiski.notifications.handlers.on_ticket_change",
        "tiski.connectors.phone.services.on_ticket_change",
        "tiski.api.webhooks.events.on_ticket_change",
    ]
    changes._handlers.cache_clear()
    SurveySettings.load()
    few = _solved(make_ticket, make_user, 2)
    many = _solved(make_ticket, make_user, 7)
    counts = []
    for tickets in (few, many):
        solves = [
            TicketChange(
                ticket_id=t.pk,
                via=Via.RULE,
                actor_id=None,
                fields={"status": ("pending", "solved")},
            )
            for t in tickets
        ]
        with CaptureQueriesContext(connection) as queries:
            changes.dispatch_many(solves)
        counts.append(len(queries))
    changes._handlers.cache_clear()
    assert SurveyInvitation.objects.filter(ticket__in=few + many).count() == 9
    assert OutboundEmail.objects.filter(kind="survey").count() == 9
    assert counts[0] == counts[1], counts
