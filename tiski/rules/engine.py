"""Running rules: triggers on ticket changes, time rules on a clock.

Triggers run from `on_ticket_change`, one of the handlers the tickets app
calls after a change commits (settings.TISKI_TICKET_CHANGE_HANDLERS); an
SLA warning or breach arrives the same way, as a change whose
``sla_events`` name it. Time rules run from `run_time_rules`, a periodic
task. Both evaluate compiled conditions against a fresh `TicketFacts` and
apply actions through `tiski.tickets.actions` with ``via=Via.RULE``.

Loop safety: a rule's own changes never re-run that rule; a rule fires at
most TISKI_RULE_MAX_FIRINGS_PER_HOUR times per ticket per hour, and all
rules together make at most TISKI_RULE_MAX_CHANGES_PER_HOUR ticket changes
per ticket per hour. Two rules undoing each other therefore stop after a
few rounds instead of spinning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery, Sum
from django.utils import timezone

from tiski.calendars.hours import BusinessCalendar
from tiski.core.bulk import insert_rows
from tiski.core.collector import fewer_collections
from tiski.tickets import changes
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import EventKind, Message, MessageKind, Status, Ticket, Via

from .actions import ActionContext, ActionOutcome, error_text
from .facts import (
    TicketFacts,
    build_facts,
    build_facts_many,
    default_calendar,
    facts_from_ticket,
    load_for,
)
from .models import RuleFiring, RuleKind, TimeRule, Trigger
from .registry import Action, Group, RuleDefinitionError, compile_actions, compile_conditions

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
MESSAGE_EVENTS = {
    MessageKind.CUSTOMER: "customer_replied",
    MessageKind.PUBLIC: "agent_replied",
    MessageKind.INTERNAL: "note_added",
}
# Trigger events an SLA event written on the ticket stands for.
SLA_EVENTS = frozenset({"sla_warning", "sla_breach"})
# Actions that only tell people; a rule with nothing else cannot change a
# ticket, so it cannot take part in a loop and skips the change cap.
SIDE_EFFECT_ACTIONS = frozenset({"notify", "email_requester", "email_agent", "send_survey"})
SATISFACTION_FIELDS = ("satisfaction", "satisfaction_comment")
# Fields that are events of their own, not edits ("field_changed").
EVENT_FIELDS = {"escalation_level": "escalated", "children_solved": "children_solved"}
# Recorded for people reading the history; no rule answers it.
QUIET_FIELDS = ("solve_override",)
TIME_PASS_CHUNK = 1000
# How many of a ticket's recent firings are searched for the one that caused a change.
CAUSE_LOOKBACK = 50


def max_firings_per_hour() -> int:
    return int(getattr(settings, "TISKI_RULE_MAX_FIRINGS_PER_HOUR", 5))


def max_changes_per_hour() -> int:
    return int(getattr(settings, "TISKI_RULE_MAX_CHANGES_PER_HOUR", 20))


# --- compiled rules, cached per edit --------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    kind: str
    id: int
    name: str
    conditions: Group
    actions: tuple[Action, ...]

    @property
    def changes_tickets(self) -> bool:
        return any(action.type.name not in SIDE_EFFECT_ACTIONS for action in self.actions)


_compiled: dict[tuple[str, int], tuple[Any, CompiledRule]] = {}


def compile_rule(rule: Trigger | TimeRule) -> CompiledRule | None:
    """The rule ready to run, or None (logged) if its stored definition is broken."""
    key = (rule.rule_kind, rule.pk)
    cached = _compiled.get(key)
    stamp = (rule.updated_at, rule.name)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        compiled = CompiledRule(
            kind=rule.rule_kind,
            id=rule.pk,
            name=rule.name,
            conditions=compile_conditions(rule.conditions),
            actions=tuple(compile_actions(rule.actions)),
        )
    except RuleDefinitionError as exc:
        log.error("%s %s (%s) has an invalid definition: %s", rule.rule_kind, rule.pk, rule, exc)
        return None
    _compiled[key] = (stamp, compiled)
    return compiled


# --- which events a change means --------------------------------------------------------


def event_names(change: TicketChange) -> frozenset[str]:
    """The trigger events a TicketChange stands for.

    A new ticket is just "ticket_created": its first message and initial
    fields are part of being created, not replies or edits.
    """
    if change.created:
        return frozenset({"ticket_created"})
    names = {name for name in change.sla_events if name in SLA_EVENTS}
    names |= {MESSAGE_EVENTS[kind] for kind in change.message_kinds if kind in MESSAGE_EVENTS}
    if "status" in change.fields:
        names.add("status_changed")
    if "satisfaction" in change.fields:
        names.add("satisfaction_rated")
    names |= {event for field, event in EVENT_FIELDS.items() if field in change.fields}
    # A survey answer is the customer's word, not an edit of the ticket.
    if (
        set(change.fields) - {"status", *SATISFACTION_FIELDS, *EVENT_FIELDS, *QUIET_FIELDS}
        or change.tags_added
        or change.tags_removed
    ):
        names.add("field_changed")
    return frozenset(names)


def _change_signature(
    fields: dict[str, list[str]],
    tags_added: Iterable[str],
    tags_removed: Iterable[str],
    messages: Iterable[int],
) -> dict[str, Any]:
    return {
        "fields": {name: list(values) for name, values in sorted(fields.items())},
        "tags_added": sorted(tags_added),
        "tags_removed": sorted(tags_removed),
        "messages": sorted(messages),
    }


def signature_of_change(change: TicketChange) -> dict[str, Any]:
    return _change_signature(
        {name: [old, new] for name, (old, new) in change.fields.items()},
        change.tags_added,
        change.tags_removed,
        [message_id for message_id, _kind in change.messages],
    )


def signature_of_events(events: Iterable[Any]) -> dict[str, Any]:
    """What the TicketChange collected from these events will look like.

    Mirrors tickets.changes: a field keeps its first old and last new value.
    """
    events = list(events)
    if not events:  # most firings of a pass (notices, mails): no need to sort nothing
        return {"fields": {}, "tags_added": [], "tags_removed": [], "messages": []}
    fields: dict[str, list[str]] = {}
    added: list[str] = []
    removed: list[str] = []
    messages: list[int] = []
    for event in events:
        if event.kind == EventKind.MESSAGE:
            messages.append(event.meta["message_id"])
        elif event.field == "tags":
            (added if event.new_value else removed).append(event.new_value or event.old_value)
        elif event.field:
            first_old = fields.get(event.field, [event.old_value, event.new_value])[0]
            fields[event.field] = [first_old, event.new_value]
    return _change_signature(fields, added, removed, messages)


def causing_firing(change: TicketChange, now: datetime) -> RuleFiring | None:
    """The firing whose actions produced `change` (a change made via a rule).

    TicketChange cannot name the rule, so the firing recorded what its
    change would look like; the newest match of the last hour is the cause.
    """
    if change.via != Via.RULE:
        return None
    wanted = signature_of_change(change)
    recent = RuleFiring.objects.filter(
        ticket_id=change.ticket_id, fired_at__gte=now - HOUR, change_count__gt=0
    ).order_by("-id")[:CAUSE_LOOKBACK]
    return next((firing for firing in recent if firing.signature == wanted), None)


def causing_firings(many: list[TicketChange], now: datetime) -> dict[int, RuleFiring]:
    """`causing_firing` for many changes (one per ticket) in one query; the
    firings found hold their rule and signature (other fields deferred)."""
    by_rule = [change for change in many if change.via == Via.RULE]
    if not by_rule:
        return {}
    recent: dict[int, list[RuleFiring]] = {}
    # Only what finding the cause reads (and its caller: the rule): a chunk's
    # firings carry details and summaries nobody here looks at.
    for firing in (
        RuleFiring.objects.filter(
            ticket_id__in=[change.ticket_id for change in by_rule],
            fired_at__gte=now - HOUR,
            change_count__gt=0,
        )
        .only("id", "ticket_id", "rule_kind", "rule_id", "signature")
        .order_by("-id")
    ):
        kept = recent.setdefault(firing.ticket_id, [])
        if len(kept) < CAUSE_LOOKBACK:
            kept.append(firing)
    found: dict[int, RuleFiring] = {}
    for change in by_rule:
        wanted = signature_of_change(change)
        cause = next((f for f in recent.get(change.ticket_id, ()) if f.signature == wanted), None)
        if cause is not None:
            found[change.ticket_id] = cause
    return found


# --- firing ------------------------------------------------------------------------------


def _cap_counts(
    rule: CompiledRule, ticket_ids: list[int], now: datetime
) -> tuple[dict[int, int], dict[int, int]]:
    """Per ticket, in the last hour: rule changes made to it (all rules), and
    effective firings of this rule. Two queries however many tickets."""
    since = now - HOUR
    changed: dict[int, int] = {}
    if rule.changes_tickets:
        changed = {
            ticket_id: total or 0
            for ticket_id, total in RuleFiring.objects.filter(
                ticket_id__in=ticket_ids, fired_at__gte=since
            )
            .order_by()
            .values_list("ticket_id")
            .annotate(total=Sum("change_count"))
            .values_list("ticket_id", "total")
        }
    fired = dict(
        RuleFiring.objects.filter(
            rule_kind=rule.kind,
            rule_id=rule.id,
            ticket_id__in=ticket_ids,
            effective=True,
            fired_at__gte=since,
        )
        .order_by()
        .values_list("ticket_id")
        .annotate(n=Count("id"))
        .values_list("ticket_id", "n")
    )
    return changed, fired


def _cap_reason(rule: CompiledRule, changed: int, fired: int) -> str | None:
    """Why the loop caps stop this rule on this ticket now, or None."""
    if rule.changes_tickets and changed >= max_changes_per_hour():
        return f"{changed} rule changes to this ticket in the last hour"
    if fired >= max_firings_per_hour():
        return f"fired {fired} times on this ticket in the last hour"
    return None


def _cap_reached(rule: CompiledRule, ticket_id: int, now: datetime) -> str | None:
    changed, fired = _cap_counts(rule, [ticket_id], now)
    return _cap_reason(rule, changed.get(ticket_id, 0), fired.get(ticket_id, 0))


def _count_firings(rule: CompiledRule, fired: int, now: datetime) -> None:
    if fired:
        model = Trigger if rule.kind == RuleKind.TRIGGER else TimeRule
        model.objects.filter(pk=rule.id).update(
            fire_count=F("fire_count") + fired, last_fired_at=now
        )


def _firing_values(
    rule: CompiledRule, ticket: Ticket, now: datetime, total: ActionOutcome
) -> dict[str, Any]:
    """The log row of one firing, as field values: the rule, the ticket and what happened."""
    event_ids = [event.pk for event in total.events]
    summary = "; ".join(
        part
        for part in (
            ", ".join(
                f"{e.field or e.kind} {e.old_value}→{e.new_value}".strip()
                for e in total.events
                if e.kind == EventKind.FIELD
            ),
            f"notes {total.message_ids}" if total.message_ids else "",
            f"notified {len(total.notification_ids)}" if total.notification_ids else "",
            f"emails {total.emails}" if total.emails else "",
            f"skipped: {', '.join(total.skipped)}" if total.skipped else "",
        )
        if part
    )
    return {
        "rule_kind": rule.kind,
        "rule_id": rule.id,
        "rule_name": rule.name[:200],
        "ticket_id": ticket.pk,
        "fired_at": now,
        "effective": total.effective,
        "event_ids": event_ids,
        "change_count": len(event_ids),
        "details": {
            "messages": total.message_ids,
            "notifications": total.notification_ids,
            "emails": [str(e) for e in total.emails],
            "skipped": total.skipped,
        },
        "signature": signature_of_events(total.events),
        "ticket_updated_at": ticket.updated_at,
        "summary": summary[:2000],
    }


def _firing_row(
    rule: CompiledRule, ticket: Ticket, now: datetime, total: ActionOutcome
) -> RuleFiring:
    """The log row of one firing (unsaved), holding the ticket it was read with."""
    values = _firing_values(rule, ticket, now, total)
    del values["ticket_id"]
    return RuleFiring(ticket=ticket, **values)


def fire(
    rule: CompiledRule,
    ticket: Ticket,
    facts: TicketFacts,
    now: datetime,
    *,
    count: bool = True,
) -> RuleFiring:
    """Apply the rule's actions to the ticket in one transaction and log the firing.

    Each action runs in its own savepoint: one that is refused (a closed
    ticket, an agent outside a restricted team) is recorded as skipped and
    the others still apply. The changes are announced as one TicketChange
    after commit, which may run other triggers.
    """
    context = ActionContext(ticket=ticket, facts=facts, rule_name=rule.name, now=now)
    total = ActionOutcome()
    with transaction.atomic(), changes.collecting():
        for action in rule.actions:
            try:
                with transaction.atomic():
                    outcome = action.apply(context)
            except (ValidationError, PermissionDenied) as exc:
                outcome = ActionOutcome(skipped=[error_text(exc)])
            total.events += outcome.events
            total.message_ids += outcome.message_ids
            total.notification_ids += outcome.notification_ids
            total.emails += outcome.emails
            total.skipped += [f"{action.type.name}: {reason}" for reason in outcome.skipped]
        firing = _firing_row(rule, ticket, now, total)
        firing.save()
        if total.effective and count:
            _count_firings(rule, 1, now)
    if total.skipped:
        log.info("rule %s on ticket %s skipped: %s", rule.name, ticket.pk, total.skipped)
    return firing


# --- triggers ---------------------------------------------------------------------------------


def _active_trigger_rows() -> list[Trigger]:
    """The active triggers in the order they run."""
    return list(Trigger.objects.filter(active=True).order_by("position", "id"))


def _active_triggers(
    events: frozenset[str], rows: list[Trigger] | None = None
) -> list[CompiledRule]:
    """The active triggers listening to `events`, in order (``rows``: read already)."""
    found: list[CompiledRule] = []
    for trigger in _active_trigger_rows() if rows is None else rows:
        if isinstance(trigger.events, list) and events & set(trigger.events):
            compiled = compile_rule(trigger)
            if compiled is not None:
                found.append(compiled)
    return found


def _tickets_with_related() -> Any:
    return Ticket.objects.select_related("requester__organisation", "type", "assignee", "team")


def _load_ticket(ticket_id: int) -> Ticket | None:
    return _tickets_with_related().filter(pk=ticket_id).first()


def run_triggers(
    ticket_id: int,
    events: frozenset[str],
    change: TicketChange | None = None,
    *,
    skip_rule_id: int | None = None,
    listening: list[CompiledRule] | None = None,
    loaded: tuple[Ticket, TicketFacts, datetime] | None = None,
) -> list[RuleFiring]:
    """Evaluate active triggers listening to `events` on one ticket, in order.

    ``listening``: those triggers, when the caller has looked them up;
    ``loaded``: the ticket, its facts and their moment, when the caller read
    them for many tickets at once (facts with every listening trigger's loaders).
    """
    if listening is None:
        listening = _active_triggers(events)
    triggers = [t for t in listening if t.id != skip_rule_id]
    if not triggers:
        return []
    loaders = {k: v for t in triggers for k, v in t.conditions.loaders.items()}
    if loaded is not None:
        ticket, facts, now = loaded
    else:
        found = _load_ticket(ticket_id)
        if found is None:
            return []
        ticket = found
        now = timezone.now()
        facts = build_facts(ticket, change, now=now, loaders=loaders)
    firings: list[RuleFiring] = []
    for position, trigger in enumerate(triggers, start=1):
        last = position == len(triggers)
        try:
            if not trigger.conditions.matches(facts):
                continue
            reason = _cap_reached(trigger, ticket.pk, now)
            if reason:
                log.warning("trigger %s not run on ticket %s: %s", trigger.name, ticket.pk, reason)
                continue
            firing = fire(trigger, ticket, facts, now)
        except Exception:  # one broken trigger must not stop the others or the change
            log.exception("trigger %s failed on ticket %s", trigger.name, ticket_id)
            if last:
                break
            ticket = _load_ticket(ticket_id)
            if ticket is None:
                return firings
            facts = build_facts(ticket, change, now=now, loaders=loaders)
            continue
        firings.append(firing)
        if firing.effective and not last:
            # Later triggers see what earlier ones (and the triggers their
            # changes set off) did; after the last one nobody reads it.
            ticket = _load_ticket(ticket_id)
            if ticket is None:
                return firings
            now = timezone.now()
            facts = build_facts(ticket, change, now=now, loaders=loaders)
    return firings


def on_ticket_change(change: TicketChange) -> None:
    """Ticket-change handler (runs after commit): run the triggers it concerns."""
    events = event_names(change)
    if not events:
        return
    listening = _active_triggers(events)
    if not listening:  # most changes: no trigger listens, so no cause to look up
        return
    cause = causing_firing(change, timezone.now())
    skip = cause.rule_id if cause is not None and cause.rule_kind == RuleKind.TRIGGER else None
    run_triggers(change.ticket_id, events, change, skip_rule_id=skip, listening=listening)


def on_ticket_changes(many: list[TicketChange]) -> None:
    """`on_ticket_change` for many changes (a time-rule chunk's): the same
    triggers in the same order on each ticket, with what they read shared:
    the active triggers, the causing firings, the tickets and their facts
    in a few queries for all of them, instead of several per ticket.

    When a listening trigger can act on many tickets at once (every action
    has `apply_many`, as the satisfaction survey has), the triggers run one
    at a time across the tickets (`_run_by_trigger`); otherwise ticket by
    ticket. Either way a ticket is read again after a trigger changed it,
    before its next trigger, as on the single path."""
    rows: list[Trigger] | None = None
    listening_for: dict[frozenset[str], list[CompiledRule]] = {}
    work: list[tuple[TicketChange, frozenset[str]]] = []
    for change in many:
        events = event_names(change)
        if not events:
            continue
        if events not in listening_for:
            if rows is None:
                rows = _active_trigger_rows()
            listening_for[events] = _active_triggers(events, rows)
        if listening_for[events]:
            work.append((change, events))
    if not work:
        return
    now = timezone.now()
    loaders = {
        name: load
        for triggers in listening_for.values()
        for trigger in triggers
        for name, load in trigger.conditions.loaders.items()
    }
    try:
        causes = causing_firings([change for change, _events in work], now)
        tickets = _tickets_with_related().in_bulk([change.ticket_id for change, _events in work])
        facts = build_facts_many(
            list(tickets.values()),
            {change.ticket_id: change for change, _events in work},
            now=now,
            loaders=loaders,
        )
    except Exception:  # a loader that fails in bulk must not cost every ticket its triggers
        log.exception("batched trigger reads failed; running %d changes one by one", len(work))
        for change, _events in work:
            try:
                on_ticket_change(change)
            except Exception:
                log.exception("triggers failed on ticket %s", change.ticket_id)
        return
    runs: list[_TicketRun] = []
    for change, events in work:
        ticket = tickets.get(change.ticket_id)
        if ticket is None:
            continue
        cause = causes.get(change.ticket_id)
        skip = cause.rule_id if cause is not None and cause.rule_kind == RuleKind.TRIGGER else None
        triggers = [t for t in listening_for[events] if t.id != skip]
        if triggers:
            runs.append(_TicketRun(change, events, ticket, facts[ticket.pk], triggers))
    if any(_batchable(trigger) for run in runs for trigger in run.triggers):
        rank = {trigger.pk: position for position, trigger in enumerate(rows or [])}
        _run_by_trigger(runs, rank, loaders, now)
        return
    for run in runs:
        try:
            run_triggers(
                run.change.ticket_id,
                run.events,
                run.change,
                listening=run.triggers,
                loaded=(run.ticket, run.facts, now),
            )
        except Exception:  # one ticket's failure must not stop the others
            log.exception("triggers failed on ticket %s", run.change.ticket_id)


@dataclass
class _TicketRun:
    """One ticket's triggers after its change, on the trigger-by-trigger path."""

    change: TicketChange
    events: frozenset[str]
    ticket: Ticket
    facts: TicketFacts
    triggers: list[CompiledRule]  # those to run, in order (the causing one left out)
    stale: bool = False  # a trigger changed the ticket: read it again before the next
    done: bool = False  # nothing more runs on it (gone, or its last trigger failed)

    def runs(self, trigger: CompiledRule) -> bool:
        return not self.done and any(t.id == trigger.id for t in self.triggers)

    def is_last(self, trigger: CompiledRule) -> bool:
        return self.triggers[-1].id == trigger.id

    def failed(self, trigger: CompiledRule) -> None:
        # As run_triggers: after a failure the ticket is read again, unless
        # that was its last trigger.
        if self.is_last(trigger):
            self.done = True
        else:
            self.stale = True


def _run_by_trigger(
    runs: list[_TicketRun],
    rank: dict[int, int],
    loaders: dict[str, Any],
    now: datetime,
) -> None:
    """Each trigger once across the tickets, in the triggers' order.

    Each ticket meets its triggers in the same order and sees the same
    facts as on `run_triggers`. What tickets share is their requester (a
    survey's cool-down, the hourly cap of automatic mail): a requester's
    tickets therefore run in groups, one ticket per requester per group,
    in the order of the changes, so the second sees what the first did.
    """
    remaining = runs
    while remaining:
        group: list[_TicketRun] = []
        later: list[_TicketRun] = []
        seen: set[int] = set()
        for run in remaining:
            (later if run.ticket.requester_id in seen else group).append(run)
            seen.add(run.ticket.requester_id)
        now = _run_group(group, rank, loaders, now)
        remaining = later


def _run_group(
    runs: list[_TicketRun],
    rank: dict[int, int],
    loaders: dict[str, Any],
    now: datetime,
) -> datetime:
    by_id = {trigger.id: trigger for run in runs for trigger in run.triggers}
    for trigger in sorted(by_id.values(), key=lambda t: rank.get(t.id, len(rank))):
        acting = [run for run in runs if run.runs(trigger)]
        stale = [run for run in acting if run.stale]
        if stale:
            now = timezone.now()
            _read_again(stale, loaders, now)
            acting = [run for run in acting if not run.done]
        matched: list[_TicketRun] = []
        for run in acting:
            try:
                if trigger.conditions.matches(run.facts):
                    matched.append(run)
            except Exception:
                log.exception("trigger %s failed on ticket %s", trigger.name, run.ticket.pk)
                run.failed(trigger)
        try:
            matched = _trigger_within_caps(trigger, matched, now)
        except Exception:  # as a failed trigger on each of these tickets
            log.exception("trigger %s: loop caps failed on %d tickets", trigger.name, len(matched))
            for run in matched:
                run.failed(trigger)
            continue
        if not matched:
            continue
        if _batchable(trigger):
            effective = _fire_trigger_many(trigger, matched, now)
        else:
            effective = []
            for run in matched:
                try:
                    effective.append(fire(trigger, run.ticket, run.facts, now).effective)
                except Exception:  # one broken trigger must not stop the others
                    log.exception("trigger %s failed on ticket %s", trigger.name, run.ticket.pk)
                    effective.append(False)
                    run.failed(trigger)
        for run, changed in zip(matched, effective, strict=True):
            if changed and not run.is_last(trigger):
                run.stale = True
    return now


def _read_again(runs: list[_TicketRun], loaders: dict[str, Any], now: datetime) -> None:
    """The tickets and facts of `runs` read again, in a few queries for all."""
    fresh = _tickets_with_related().in_bulk([run.ticket.pk for run in runs])
    for run in runs:
        ticket = fresh.get(run.ticket.pk)
        if ticket is None:
            run.done = True
        else:
            run.ticket = ticket
    alive = [run for run in runs if not run.done]
    try:
        facts = build_facts_many(
            [run.ticket for run in alive],
            {run.ticket.pk: run.change for run in alive},
            now=now,
            loaders=loaders,
        )
    except Exception:  # a loader that fails in bulk: each ticket on its own
        log.exception("reading %d tickets again failed; one by one", len(alive))
        facts = {}
        for run in alive:
            try:
                facts[run.ticket.pk] = build_facts(run.ticket, run.change, now=now, loaders=loaders)
            except Exception:  # as on the single path: its remaining triggers are lost
                log.exception("triggers failed on ticket %s", run.ticket.pk)
                run.done = True
    for run in alive:
        if not run.done:
            run.facts = facts[run.ticket.pk]
            run.stale = False


def _trigger_within_caps(
    trigger: CompiledRule, runs: list[_TicketRun], now: datetime
) -> list[_TicketRun]:
    """`_cap_reached` for many tickets: the counts in two queries for all."""
    if not runs:
        return runs
    changed, fired = _cap_counts(trigger, [run.ticket.pk for run in runs], now)
    allowed = []
    for run in runs:
        reason = _cap_reason(trigger, changed.get(run.ticket.pk, 0), fired.get(run.ticket.pk, 0))
        if reason:
            log.warning("trigger %s not run on ticket %s: %s", trigger.name, run.ticket.pk, reason)
        else:
            allowed.append(run)
    return allowed


def _fire_trigger_many(trigger: CompiledRule, runs: list[_TicketRun], now: datetime) -> list[bool]:
    """`fire` on each ticket, as one batch (`_fire_many`); its changes reach
    the handlers together after it commits. A batch that fails is rolled
    back and fired ticket by ticket."""
    try:
        with changes.batched():
            effective = _fire_many(trigger, [(run.ticket, run.facts) for run in runs], now)
    except Exception:
        log.exception("trigger %s failed on %d tickets; firing one by one", trigger.name, len(runs))
    else:
        try:
            _count_firings(trigger, sum(effective), now)
        except Exception:  # the firings are committed: never fire them again for this
            log.exception("trigger %s: its firing count was not updated", trigger.name)
        return effective
    fresh = _tickets_with_related().in_bulk([run.ticket.pk for run in runs])
    effective = []
    for run in runs:
        ticket = fresh.get(run.ticket.pk)
        if ticket is None:
            run.done = True
            effective.append(False)
            continue
        run.ticket = ticket
        try:
            effective.append(fire(trigger, ticket, run.facts, now).effective)
        except Exception:
            log.exception("trigger %s failed on ticket %s", trigger.name, ticket.pk)
            effective.append(False)
            run.failed(trigger)
    return effective


# changes.dispatch_many calls this form for a batch of changes.
on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


# --- time rules ---------------------------------------------------------------------------------


@contextmanager
def _time_pass_lock() -> Iterator[bool]:
    """One time-rule pass at a time, so overlapping runs cannot double-fire.

    PostgreSQL: a session advisory lock, free if the holder dies. SQLite
    deployments run one scheduler process, so there is nothing to guard.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = 0x7469736B  # "tisk"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        locked = bool(cursor.fetchone()[0])
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _chunks(items: Iterable[Ticket], size: int) -> Iterator[list[Ticket]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _tags_by_ticket(ticket_ids: list[int]) -> dict[int, frozenset[str]]:
    through = Ticket.tags.through
    found: dict[int, set[str]] = {}
    for ticket_id, name in through.objects.filter(ticket_id__in=ticket_ids).values_list(
        "ticket_id", "tag__name"
    ):
        found.setdefault(ticket_id, set()).add(name)
    return {ticket_id: frozenset(names) for ticket_id, names in found.items()}


def candidates(rule: CompiledRule, now: datetime, calendar: BusinessCalendar) -> Any:
    """Tickets the rule may fire on, narrowed in SQL; and whether that is exact.

    Excludes closed tickets and tickets the rule already acted on that have
    not changed since (a firing remembers the ticket's updated_at).
    """
    q, exact = rule.conditions.to_q(now, calendar)
    done = RuleFiring.objects.filter(
        rule_kind=RuleKind.TIME,
        rule_id=rule.id,
        ticket_id=OuterRef("pk"),
        ticket_updated_at__gte=OuterRef("updated_at"),
    )
    qs = (
        Ticket.objects.exclude(status=Status.CLOSED)
        .filter(q)
        .exclude(Exists(done))
        .select_related("requester__organisation", "type", "assignee", "team")
        .order_by("pk")
    )
    needs = frozenset() if exact else rule.conditions.needs
    if "mailbox" in needs:
        first = Message.objects.filter(ticket_id=OuterRef("pk")).order_by("created_at", "id")
        qs = qs.annotate(rule_mailbox=Subquery(first.values("meta__mailbox")[:1]))
    if "body" in needs:
        latest = (
            Message.objects.filter(ticket_id=OuterRef("pk"))
            .exclude(kind=MessageKind.SYSTEM)
            .order_by("-created_at", "-id")
        )
        qs = qs.annotate(rule_body=Subquery(latest.values("text")[:1]))
    return qs, exact, needs


def _fire_many(
    rule: CompiledRule, matched: list[tuple[Ticket, TicketFacts]], now: datetime
) -> list[bool]:
    """The batched form of `fire` for a chunk: each action once for all
    tickets (`apply_many`), then the firing rows in one statement.

    The same rows as `fire` on each ticket in turn: a ticket an action
    refuses is skipped with the reason and the rule's other actions still
    apply to it; the changes are collected as one TicketChange per ticket.
    Returns whether each firing was effective, in order.
    """
    contexts = [
        ActionContext(ticket=ticket, facts=facts, rule_name=rule.name, now=now)
        for ticket, facts in matched
    ]
    totals = [ActionOutcome() for _ in contexts]
    with transaction.atomic(), changes.collecting():
        for action in rule.actions:
            assert action.type.apply_many is not None  # checked by the caller
            for total, outcome in zip(
                totals, action.type.apply_many(action.params, contexts), strict=True
            ):
                total.events += outcome.events
                total.message_ids += outcome.message_ids
                total.notification_ids += outcome.notification_ids
                total.emails += outcome.emails
                total.skipped += [f"{action.type.name}: {reason}" for reason in outcome.skipped]
        # Plain values, not model instances: a backlog pass logs tens of thousands.
        insert_rows(
            RuleFiring,
            [
                _firing_values(rule, context.ticket, now, total)
                for context, total in zip(contexts, totals, strict=True)
            ],
        )
    for context, total in zip(contexts, totals, strict=True):
        if total.skipped:
            log.info(
                "rule %s on ticket %s skipped: %s", rule.name, context.ticket.pk, total.skipped
            )
    return [total.effective for total in totals]


def _batchable(rule: CompiledRule) -> bool:
    """Whether every action of the rule has a many-tickets form (`apply_many`)."""
    return all(action.type.apply_many for action in rule.actions)


def _fire_each(rule: CompiledRule, matched: list[tuple[Ticket, TicketFacts]], now: datetime) -> int:
    """`fire` on each ticket in turn, each in its own savepoint; one that
    fails loses only itself."""
    fired = 0
    for ticket, facts in matched:
        try:
            fired += fire(rule, ticket, facts, now, count=False).effective
        except Exception:
            log.exception("time rule %s failed on ticket %s", rule.name, ticket.pk)
    return fired


def _reloaded(matched: list[tuple[Ticket, TicketFacts]]) -> list[tuple[Ticket, TicketFacts]]:
    """The tickets read again: a batch rolled back may have changed them in memory."""
    fresh = _tickets_with_related().in_bulk([ticket.pk for ticket, _facts in matched])
    return [(fresh[t.pk], facts) for t, facts in matched if t.pk in fresh]


def _within_caps(
    rule: CompiledRule, matched: list[tuple[Ticket, TicketFacts]], now: datetime
) -> list[tuple[Ticket, TicketFacts]]:
    """The tickets the loop caps let a ticket-changing rule act on now."""
    if not matched or not rule.changes_tickets:
        return matched
    changed, fired = _cap_counts(rule, [t.pk for t, _f in matched], now)
    allowed = []
    for ticket, facts in matched:
        reason = _cap_reason(rule, changed.get(ticket.pk, 0), fired.get(ticket.pk, 0))
        if reason:
            log.warning("time rule %s not run on %s: %s", rule.name, ticket.pk, reason)
        else:
            allowed.append((ticket, facts))
    return allowed


def run_time_rule(rule: CompiledRule, now: datetime, calendar: BusinessCalendar) -> int:
    """One rule over all candidate tickets; returns how many times it fired.

    Tickets are read in chunks with a server-side cursor. A chunk's firings
    share one transaction (one commit, not one per ticket); each firing
    still has its own savepoint, so one failure loses only itself.
    """
    qs, exact, needs = candidates(rule, now, calendar)
    in_hours = calendar.is_open(now)
    # Rules whose every action has a many-tickets form fire a chunk at a time.
    batched = _batchable(rule)
    fired = 0
    for chunk in _chunks(qs.iterator(chunk_size=TIME_PASS_CHUNK), TIME_PASS_CHUNK):
        tags = _tags_by_ticket([t.pk for t in chunk]) if "tags" in needs else {}
        loaders = {} if exact else rule.conditions.loaders
        loaded = load_for(loaders, [t.pk for t in chunk]) if loaders else {}
        matched: list[tuple[Ticket, TicketFacts]] = []
        for ticket in chunk:
            facts = facts_from_ticket(
                ticket,
                now=now,
                calendar=calendar,
                in_business_hours=in_hours,
                tags=tags.get(ticket.pk, frozenset()),
                mailbox=str(getattr(ticket, "rule_mailbox", "") or ""),
                body=getattr(ticket, "rule_body", "") or "",
                loaded=loaded.get(ticket.pk),
            )
            try:
                if exact or rule.conditions.matches(facts):
                    matched.append((ticket, facts))
            except Exception:
                log.exception("time rule %s failed on ticket %s", rule.name, ticket.pk)
        matched = _within_caps(rule, matched, now)
        if not matched:
            continue
        # The chunk's changes reach the handlers together after its commit:
        # the SLA clocks and search entries of a few hundred tickets are
        # refreshed in a few statements instead of a dozen each.
        with changes.batched(), transaction.atomic():
            if not batched:
                fired += _fire_each(rule, matched, now)
                continue
            try:
                fired += sum(_fire_many(rule, matched, now))
            except Exception:
                # Its savepoint is rolled back: the chunk again, one by one,
                # so that one bad ticket costs only its own firing.
                log.exception("time rule %s failed on a chunk; firing one by one", rule.name)
                fired += _fire_each(rule, _reloaded(matched), now)
    _count_firings(rule, fired, now)
    return fired


def run_time_rules(now: datetime | None = None) -> dict[str, int]:
    """One pass of every active time rule, in order; returns firings per rule name."""
    now = now or timezone.now()
    calendar = default_calendar()
    results: dict[str, int] = {}
    # A backlog pass builds tens of thousands of rows: the collector walking
    # the whole application again and again was a fifth of its CPU.
    with _time_pass_lock() as locked, fewer_collections():
        if not locked:
            log.info("another time-rule pass is running; skipping this one")
            return results
        for rule in TimeRule.objects.filter(active=True).order_by("position", "id"):
            compiled = compile_rule(rule)
            if compiled is None:
                continue
            try:
                results[rule.name] = run_time_rule(compiled, now, calendar)
            except Exception:
                log.exception("time rule %s failed", rule.name)
            TimeRule.objects.filter(pk=rule.pk).update(last_run_at=now)
    return results
