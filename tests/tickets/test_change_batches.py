"""A worker handles the handed-off ticket changes waiting in its queue
together (`tickets.tasks.handle_changes`, `core.task_batches`), and that
leaves the same rows as handling each change in a task of its own."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Routing
from tiski.celery import app
from tiski.connectors.models import OutboundEmail
from tiski.core import tasks as core_tasks
from tiski.core.task_batches import taken_calls
from tiski.notifications.models import Notification
from tiski.tickets import actions, changes
from tiski.tickets import tasks as ticket_tasks
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

batches: list[list[tuple[int, bool]]] = []


def spy(change: changes.TicketChange) -> None:
    batches.append([(change.ticket_id, change.created)])


def spy_many(many: list[changes.TicketChange]) -> None:
    batches.append([(change.ticket_id, change.created) for change in many])


spy.handle_many = spy_many  # type: ignore[attr-defined]


@pytest.fixture
def spied(settings):
    batches.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tests.tickets.test_change_batches.spy"]
    yield batches
    changes._handlers.cache_clear()


@pytest.fixture
def broker(monkeypatch):
    """Tasks go to Celery's in-memory broker and wait there, as in Redis."""
    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    with taken_calls(changes.HANDLE_CHANGES_TASK, changes.HANDLE_CHANGES_QUEUE, 10_000):
        pass  # left by an earlier test in this process

    def queue(data: list[dict]) -> None:
        app.send_task(changes.HANDLE_CHANGES_TASK, args=[data])

    return queue


class _Peeked(Exception):
    pass


def waiting() -> int:
    """How many calls wait in the queue; taken and given back (the block raises)."""
    try:
        with taken_calls(
            changes.HANDLE_CHANGES_TASK, changes.HANDLE_CHANGES_QUEUE, 10_000
        ) as calls:
            raise _Peeked(len(calls))
    except _Peeked as peeked:
        return peeked.args[0]


def _change(ticket_id: int, created: bool = False) -> dict:
    return changes.TicketChange(
        ticket_id=ticket_id, via=Via.CHANNEL, actor_id=None, created=created
    ).as_data()


def test_the_worker_handles_the_waiting_calls_with_its_own_in_one_round(spied, broker):
    broker([_change(2)])
    broker([_change(3), _change(4)])
    assert waiting() == 2  # peeking gives them back
    assert ticket_tasks.handle_changes([_change(1, created=True)]) == 4
    assert spied == [[(1, True), (2, False), (3, False), (4, False)]]
    assert waiting() == 0  # acknowledged: nobody handles them again


def test_a_ticket_that_comes_twice_waits_for_the_next_round(spied, broker):
    broker([_change(2)])
    broker([_change(1)])
    ticket_tasks.handle_changes([_change(1, created=True)])
    assert spied == [[(1, True), (2, False)], [(1, False)]]


def test_calls_taken_go_back_when_the_handling_fails(broker):
    broker([_change(1)])
    broker([_change(2)])
    with (
        pytest.raises(RuntimeError),
        taken_calls(changes.HANDLE_CHANGES_TASK, changes.HANDLE_CHANGES_QUEUE, 10) as calls,
    ):
        assert len(calls) == 2
        raise RuntimeError("a handler's database went away")
    assert waiting() == 2


def test_another_tasks_message_stops_the_taking_and_stays(broker):
    broker([_change(1)])
    app.send_task("tiski.search.index_ticket", args=[1], queue=changes.HANDLE_CHANGES_QUEUE)
    broker([_change(2)])
    with taken_calls(changes.HANDLE_CHANGES_TASK, changes.HANDLE_CHANGES_QUEUE, 10) as calls:
        assert calls == [([_change(1)],)]
    with app.connection_for_read() as connection:
        left = [
            connection.default_channel.basic_get(changes.HANDLE_CHANGES_QUEUE, no_ack=True)
            for _ in range(2)
        ]
    assert sorted(m.headers["task"] for m in left) == [
        "tiski.search.index_ticket",
        changes.HANDLE_CHANGES_TASK,
    ]


def test_nothing_is_taken_where_tasks_run_in_place(spied):
    with taken_calls(changes.HANDLE_CHANGES_TASK, changes.HANDLE_CHANGES_QUEUE, 10) as calls:
        assert calls == []


# --- the same rows either way ---------------------------------------------------------


def _scenario(tag: str, team, agent, colleague, make_contact, mailbox) -> list[Ticket]:
    """New tickets of every kind a worker's batch holds: routed by the team,
    assigned in the same unit (as a chat is), given by an agent, an email to
    acknowledge, and a follow-up message on one of them."""
    made = []
    contact = make_contact(email=f"{tag}@example.com")
    routed = actions.create_ticket(
        requester=contact,
        subject=f"{tag} reititettävä",
        actor=None,
        via=Via.CHANNEL,
        channel=Channel.EMAIL,
        text="Hei",
        team=team,
    )
    made.append(routed)
    with actions.unit_of_work():
        chat = actions.create_ticket(
            requester=contact,
            subject=f"{tag} chat",
            actor=None,
            via=Via.CHANNEL,
            channel=Channel.CHAT,
            text="Hei",
            team=team,
        )
        actions.update_ticket(chat, actor=None, via=Via.SYSTEM, assignee=agent)
    made.append(chat)
    given = actions.create_ticket(
        requester=contact,
        subject=f"{tag} annettu",
        actor=colleague,
        via=Via.AGENT,
        channel=Channel.MANUAL,
        text="Soitto",
        team=team,
        assignee=agent,
    )
    made.append(given)
    emailed = actions.create_ticket(
        requester=contact,
        subject=f"{tag} sähköposti",
        actor=None,
        via=Via.CHANNEL,
        channel=Channel.EMAIL,
        text="Hei",
        team=team,
        message_meta={"mailbox": mailbox.address, "from": contact.emails[0]},
    )
    made.append(emailed)
    actions.add_message(
        chat,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        text="Vielä",
        channel=Channel.CHAT,
        author_contact=contact,
    )
    return made


def _rows(tickets: list[Ticket]) -> list[tuple]:
    rows = []
    for ticket in tickets:
        ticket.refresh_from_db()
        rows.append(
            (
                ticket.assignee_id,
                ticket.status,
                [
                    (n.user_id, n.kind, n.actor_id, n.text.replace(ticket.subject, "…"))
                    for n in Notification.objects.filter(ticket=ticket).order_by("id")
                ],
                [
                    (kind, [address.split("@")[1] for address in to])
                    for kind, to in OutboundEmail.objects.filter(ticket=ticket).values_list(
                        "kind", "to"
                    )
                ],
            )
        )
    return rows


@pytest.mark.django_db(transaction=True)  # real commits: the handlers read what was written
def test_a_batch_leaves_the_rows_one_task_each_left(
    monkeypatch, make_team, make_user, make_contact, mailbox
):
    queued: list[list[dict]] = []
    monkeypatch.setattr(core_tasks, "runs_in_place", lambda: False)
    monkeypatch.setattr(core_tasks, "enqueue", lambda name, data: queued.append(data))
    mailbox.auto_acknowledge = True
    mailbox.save()
    team = make_team("Asiakaspalvelu")
    team.routing = Routing.ROUND_ROBIN
    team.save()
    agent = make_user(teams=(team,), name="Aino Agentti")
    colleague = make_user(teams=(team,), name="Pekka Kollega")

    def handled(tag: str, handle) -> list[tuple]:  # type: ignore[no-untyped-def]
        queued.clear()
        with changes.handed_off():
            tickets = _scenario(tag, team, agent, colleague, make_contact, mailbox)
        handle([changes.TicketChange.from_data(item) for data in queued for item in data])
        return _rows(tickets)

    def one_task_each(handed: list[changes.TicketChange]) -> None:
        for change in handed:
            changes.dispatch_many([change])

    team.last_routed_to = None
    team.save()
    alone = handled("a", one_task_each)
    team.last_routed_to = None
    team.save()
    together = handled("b", changes.dispatch_in_rounds)
    assert together == alone
    routed, chat, given, emailed = alone
    assert routed[0] is not None and routed[2][0][3].startswith("Automaattinen reititys")
    assert chat[0] == agent.pk and len(chat[2]) == 1
    assert given[2][0][2] == colleague.pk and "Pekka Kollega" in given[2][0][3]
    assert emailed[3] == [("ack", ["example.com"])]
