"""Every action type, applied through the engine's fire() the way rules apply them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tiski.accounts.models import Role
from tiski.notifications.models import Notification, mark_read, unread_for
from tiski.rules import engine
from tiski.rules.facts import build_facts
from tiski.rules.models import RuleFiring, Trigger
from tiski.tickets import actions
from tiski.tickets.models import Event, Message, MessageKind, Status, Via

pytestmark = pytest.mark.django_db


def run_actions(ticket, rule_actions, name="Testisääntö") -> RuleFiring:
    trigger = Trigger.objects.create(
        name=name, events=["field_changed"], conditions={}, actions=rule_actions
    )
    compiled = engine.compile_rule(trigger)
    assert compiled is not None
    return engine.fire(compiled, ticket, build_facts(ticket), timezone.now())


def rule_events(firing: RuleFiring) -> list[Event]:
    return list(Event.objects.filter(pk__in=firing.event_ids).order_by("id"))


@pytest.mark.parametrize(
    ("action", "field", "new"),
    [
        ({"type": "set_status", "status": "pending"}, "status", "pending"),
        ({"type": "set_priority", "priority": "urgent"}, "priority", "urgent"),
    ],
)
def test_set_fields_write_rule_events_named_by_the_firing(make_ticket, action, field, new):
    """The change is an event via=rule, and the firing lists it: that names the rule."""
    ticket = make_ticket()
    firing = run_actions(ticket, [action])
    ticket.refresh_from_db()
    assert getattr(ticket, field) == new
    (event,) = rule_events(firing)
    assert (event.field, event.new_value, event.via, event.actor) == (field, new, Via.RULE, None)
    assert firing.effective and firing.change_count == 1
    assert firing.rule_name == "Testisääntö"
    trigger = Trigger.objects.get(pk=firing.rule_id)
    assert trigger.fire_count == 1 and trigger.last_fired_at == firing.fired_at


def test_set_type_team_and_assignee(make_ticket, make_team, make_user):
    team = make_team()
    agent = make_user(teams=(team,))
    ticket = make_ticket()
    firing = run_actions(
        ticket,
        [
            {"type": "set_type", "ticket_type": "order"},
            {"type": "set_team", "team": team.pk},
            {"type": "set_assignee", "assignee": agent.pk},
        ],
    )
    ticket.refresh_from_db()
    assert (ticket.type.slug, ticket.team, ticket.assignee) == ("order", team, agent)
    assert {e.field for e in rule_events(firing)} == {"type", "team", "assignee", "status"}


def test_missing_targets_are_skipped_with_the_reason(make_ticket):
    ticket = make_ticket()
    firing = run_actions(
        ticket,
        [
            {"type": "set_type", "ticket_type": "no-such-type"},
            {"type": "set_team", "team": 999999},
            {"type": "set_assignee", "assignee": 999999},
        ],
    )
    assert not firing.effective
    assert len(firing.details["skipped"]) == 3
    assert Trigger.objects.get(pk=firing.rule_id).fire_count == 0


def test_a_refused_action_is_skipped_and_the_others_still_apply(make_ticket, make_team, make_user):
    restricted = make_team(restricted=True)
    outsider = make_user()
    ticket = make_ticket(team=restricted)
    firing = run_actions(
        ticket,
        [
            {"type": "set_assignee", "assignee": outsider.pk},
            {"type": "add_tags", "tags": ["tarkista"]},
        ],
    )
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert set(ticket.tags.values_list("name", flat=True)) == {"tarkista"}
    assert "set_assignee" in firing.details["skipped"][0]


def test_add_and_remove_tags(make_ticket):
    ticket = make_ticket(tags=["vanha", "pidä"])
    firing = run_actions(
        ticket,
        [{"type": "add_tags", "tags": ["Uusi Tagi"]}, {"type": "remove_tags", "tags": ["vanha"]}],
    )
    assert set(ticket.tags.values_list("name", flat=True)) == {"uusi-tagi", "pidä"}
    assert sorted((e.old_value, e.new_value) for e in rule_events(firing)) == [
        ("", "uusi-tagi"),
        ("vanha", ""),
    ]


def test_an_action_that_changes_nothing_does_not_count_as_fired(make_ticket):
    ticket = make_ticket(tags=["vip"])
    firing = run_actions(ticket, [{"type": "add_tags", "tags": ["vip"]}])
    assert not firing.effective and firing.event_ids == []
    assert Trigger.objects.get(pk=firing.rule_id).fire_count == 0


def test_add_note_renders_the_sandboxed_template(make_ticket, make_user):
    agent = make_user(name="Antti Agentti")
    ticket = make_ticket(assignee=agent)
    firing = run_actions(
        ticket,
        [
            {
                "type": "add_note",
                "text": "Tarkista #{{ ticket.number }}, {{ agent.name }}"
                " ({{ requester.first_name }})",
            }
        ],
    )
    note = Message.objects.get(pk=firing.details["messages"][0])
    assert note.kind == MessageKind.INTERNAL and note.author_user is None
    assert note.text == f"Tarkista #{ticket.number}, Antti Agentti (Maija)"
    (event,) = rule_events(firing)
    assert event.meta["message_id"] == note.pk and event.via == Via.RULE


def test_email_requester_in_their_language(make_ticket, make_contact, outbox):
    rule = [
        {
            "type": "email_requester",
            "subject": {
                "fi": "Muistutus #{{ ticket.number }}",
                "en": "Reminder #{{ ticket.number }}",
            },
            "text": {
                "fi": "Hei {{ requester.first_name }}",
                "en": "Hello {{ requester.first_name }}",
            },
        }
    ]
    finn = make_ticket(requester=make_contact(email="maija@example.fi"))
    brit = make_ticket(
        requester=make_contact(email="jane@example.com", name="Jane Doe", language="en")
    )
    run_actions(finn, rule, name="a")
    firing = run_actions(brit, rule, name="b")
    assert [c["subject"] for c in outbox.calls] == [
        f"Muistutus #{finn.number}",
        f"Reminder #{brit.number}",
    ]
    call = outbox.calls[1]
    assert call["to"] == ["jane@example.com"] and call["text"] == "Hello Jane"
    assert (call["kind"], call["automatic"], call["ticket"]) == ("rule", True, brit)
    assert firing.effective and firing.details["emails"] == ["2"]


def test_email_is_skipped_when_there_is_no_mailbox(make_ticket):
    """Without a mailbox to send from, the rule mail is skipped, with the reason."""
    ticket = make_ticket()
    firing = run_actions(ticket, [{"type": "email_requester", "subject": "x", "text": "y"}])
    assert not firing.effective
    assert "no mailbox" in firing.details["skipped"][0]


def test_email_an_agent(make_ticket, make_user, outbox):
    agent = make_user(email="antti@example.fi")
    other = make_user(email="olli@example.fi", language="en")
    ticket = make_ticket(assignee=agent)
    run_actions(ticket, [{"type": "email_agent", "subject": "S", "text": "T"}], name="a")
    run_actions(ticket, [{"type": "email_agent", "agent": other.pk, "subject": "S", "text": "T"}])
    assert [c["to"] for c in outbox.calls] == [["antti@example.fi"], ["olli@example.fi"]]


def test_notify_assignee_team_or_listed_agents(make_ticket, make_team, make_user):
    team = make_team()
    a, b = make_user(teams=(team,)), make_user(teams=(team,), language="en")
    c = make_user(role=Role.ADMIN)
    ticket = make_ticket(team=team, assignee=a)
    text = {"fi": "Katso #{{ ticket.number }}", "en": "See #{{ ticket.number }}"}
    run_actions(ticket, [{"type": "notify", "to": "assignee", "text": text}], name="1")
    run_actions(ticket, [{"type": "notify", "to": "team", "text": text}], name="2")
    firing = run_actions(ticket, [{"type": "notify", "to": [c.pk], "text": text}], name="3")
    assert firing.effective and firing.event_ids == []
    assert unread_for(a).count() == 2 and unread_for(c).count() == 1
    assert unread_for(b).get().text == f"See #{ticket.number}"
    assert mark_read(a) == 2 and unread_for(a).count() == 0


def test_notifications_follow_ticket_visibility(make_ticket, make_team, make_user):
    """A notice about a ticket the agent can no longer see is not shown."""
    agent = make_user()
    ticket = make_ticket(assignee=agent)
    run_actions(ticket, [{"type": "notify", "text": "x"}])
    assert unread_for(agent).count() == 1
    actions.update_ticket(
        ticket, actor=None, via=Via.SYSTEM, team=make_team(restricted=True), assignee=None
    )
    assert unread_for(agent).count() == 0
    assert Notification.objects.filter(user=agent).count() == 1


def test_actions_on_a_closed_ticket_are_skipped(make_ticket, make_user):
    admin = make_user(role=Role.ADMIN)
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=admin, via=Via.AGENT, status=Status.CLOSED)
    firing = run_actions(ticket, [{"type": "set_priority", "priority": "high"}])
    assert not firing.effective and firing.details["skipped"][0].startswith("set_priority: ")


def test_field_changes_by_a_rule_name_the_rule_in_their_events(make_ticket):
    from tiski.desk.timeline import build_timeline

    ticket = make_ticket()
    run_actions(ticket, [{"type": "set_priority", "priority": "urgent"}], name="Kiireelliset")
    event = ticket.events.get(field="priority")
    assert event.meta["rule"] == "Kiireelliset" and event.via == Via.RULE
    texts = [e.text for e in build_timeline(ticket) if e.event is not None]
    assert any("Kiireelliset" in text for text in texts)


def test_tag_changes_by_a_rule_name_the_rule_in_their_events(make_ticket):
    """Added and removed tags are events that say which rule made them, like fields."""
    from tiski.desk.timeline import build_timeline

    ticket = make_ticket()
    run_actions(ticket, [{"type": "add_tags", "tags": ["vip", "lasku"]}], name="Tagittaja")
    run_actions(ticket, [{"type": "remove_tags", "tags": ["lasku"]}], name="Siivoaja")
    added = ticket.events.filter(field="tags", old_value="").order_by("new_value")
    assert [(e.new_value, e.meta.get("rule")) for e in added] == [
        ("lasku", "Tagittaja"),
        ("vip", "Tagittaja"),
    ]
    removed = ticket.events.get(field="tags", old_value="lasku")
    assert removed.meta["rule"] == "Siivoaja" and removed.via == Via.RULE
    texts = [e.text for e in build_timeline(ticket) if e.event is not None]
    assert any("Siivoaja" in text for text in texts)


NOTICE_COLUMNS = (
    "user_id",
    "kind",
    "ticket_id",
    "actor_id",
    "message_id",
    "params",
    "text",
    "created_at",
    "read_at",
)


def test_notices_of_a_batch_are_the_rows_notification_instances_wrote(
    make_ticket, make_team, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    """`notify_many` writes plain values: every column as the Notification
    instances' bulk_create wrote them, the ids in the outcomes in order, and
    the mail of an agent who chose email queued for the right notice."""
    from tiski.notifications import services
    from tiski.notifications.models import Delivery, Kind, NotificationSetting
    from tiski.rules.actions import ActionContext, NotifyParams, _render, notify_many

    team = make_team()
    app, mailed, off = (make_user(teams=(team,), language=lang) for lang in ("fi", "en", "fi"))
    NotificationSetting.objects.create(user=mailed, kind=Kind.RULE, delivery=Delivery.EMAIL)
    NotificationSetting.objects.create(user=off, kind=Kind.RULE, delivery=Delivery.OFF)
    tickets = [make_ticket(team=team, assignee=user) for user in (app, mailed, off, None, app)]
    now = timezone.now()
    contexts = [ActionContext(t, build_facts(t), "Muistutus", now) for t in tickets]
    params = NotifyParams(to="assignee", text={"fi": "Katso #{{ ticket.number }}", "en": "See"})
    queued: list[tuple[str, int]] = []
    monkeypatch.setattr(services, "enqueue", lambda name, pk: queued.append((name, pk)))

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = notify_many(params, contexts)
    ids = [pk for outcome in outcomes for pk in outcome.notification_ids]
    got = list(Notification.objects.filter(pk__in=ids).order_by("pk").values_list(*NOTICE_COLUMNS))
    assert [len(o.notification_ids) for o in outcomes] == [1, 1, 0, 0, 1]
    assert outcomes[3].skipped and ids == sorted(ids)
    assert [n[0] for n in got] == [app.pk, mailed.pk, app.pk]
    assert queued == [("desk.notification_mail", outcomes[1].notification_ids[0])]

    Notification.objects.all().delete()
    Notification.objects.bulk_create(
        Notification(
            user=c.ticket.assignee,
            ticket=c.ticket,
            text=_render(params.text, c.ticket.assignee.language, c),
            created_at=now,
        )
        for c in contexts
        if c.ticket.assignee in (app, mailed)
    )
    assert list(Notification.objects.order_by("pk").values_list(*NOTICE_COLUMNS)) == got
