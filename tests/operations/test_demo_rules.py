"""The demo desk is consistent with the time rules it ships with.

Right after `tiski demo`, the first pass of the time rules finds nothing to
solve, close or remind about: the demo looks like a desk where the rules
have been running all along. What the rules did in the demo's past names
the rule in the conversation.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from tiski.connectors.phone.models import Callback
from tiski.desk.timeline import build_timeline
from tiski.operations.demo_data import populate
from tiski.rules.engine import run_time_rules
from tiski.rules.models import RuleFiring, TimeRule
from tiski.tickets.models import Event, EventKind, Status, Ticket, Via

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        populate()


def _state() -> dict[int, tuple[str, str, str | None]]:
    return {t.pk: (t.status, t.priority, t.assignee_id) for t in Ticket.objects.all()}


def test_first_time_rule_pass_changes_nothing_in_the_demo(demo):
    assert TimeRule.objects.filter(active=True).count() >= 4
    before = _state()
    events_before = Event.objects.count()
    firings_before = RuleFiring.objects.count()
    run_time_rules(timezone.now())
    fired = Counter(
        RuleFiring.objects.order_by("id")[firings_before:].values_list("rule_name", flat=True)
    )
    assert _state() == before, fired
    assert Event.objects.count() == events_before, fired
    # Only reminders to agents may go out (the bell), never a ticket change.
    notifying = {
        rule.name
        for rule in TimeRule.objects.all()
        if all(action["type"] == "notify" for action in rule.actions)
    }
    assert set(fired) <= notifying, fired


def test_demo_history_names_the_rules_that_acted(demo):
    """Closed demo tickets were closed by the shipped rule, and say so."""
    close_rule = TimeRule.objects.get(actions__0__status="closed")
    # A duplicate merged by an agent is closed by the merge, which says so.
    # A ticket moved in from another desk arrives closed there, and says so.
    closes = (
        Event.objects.filter(field="status", new_value=Status.CLOSED)
        .exclude(meta__has_key="merge")
        .exclude(meta__has_key="moved_in")
    )
    assert closes.exists()
    for event in closes:
        assert event.via == Via.RULE and event.meta.get("rule") == close_rule.name
    ticket = Ticket.objects.filter(
        status=Status.CLOSED, parent__isnull=True, merges_out__isnull=True
    ).first()
    with translation.override("fi"):
        texts = [str(e.text) for e in build_timeline(ticket) if e.event is not None]
    assert f"Sääntö »{close_rule.name}« sulki tiketin" in texts
    # No change without a reason: every status change has an agent, a rule or the customer.
    # A callback solved by the call that reached the customer says so in a note.
    for event in Event.objects.filter(kind=EventKind.FIELD, field="status"):
        by_call = event.via == Via.SYSTEM and Callback.objects.filter(
            ticket_id=event.ticket_id, resolved_by_call__isnull=False
        )
        moved_in = event.meta.get("moved_in")  # the old desk's history, brought along
        assert (
            event.actor_id
            or event.meta.get("rule")
            or event.via == Via.CHANNEL
            or by_call
            or moved_in
        ), event
