"""Helpers for rule tests: facts without a database, and fires / does-not-fire checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tiski.calendars.hours import BusinessCalendar
from tiski.rules.facts import TicketFacts, build_facts
from tiski.rules.registry import compile_conditions

# Wednesday 12 March 2025, 12:00 in Helsinki: inside office hours.
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar.office_hours()


def make_facts(**overrides: Any) -> TicketFacts:
    values: dict[str, Any] = {
        "ticket_id": 1,
        "number": 1001,
        "status": "open",
        "type_slug": "question",
        "priority": "normal",
        "team_id": None,
        "assignee_id": None,
        "channel": "email",
        "tags": frozenset(),
        "organisation_id": None,
        "requester_language": "fi",
        "mailbox": "tuki@example.fi",
        "subject": "Lasku on väärin",
        "body": "Hei, laskussanne on virhe. Voitteko korjata?",
        "created_at": NOW - timedelta(hours=2),
        "updated_at": NOW - timedelta(hours=1),
        "last_customer_message_at": NOW - timedelta(hours=2),
        "status_changed_at": NOW - timedelta(hours=2),
        "now": NOW,
        "in_business_hours": True,
        "calendar": CALENDAR,
    }
    values.update(overrides)
    if "tags" in overrides:
        values["tags"] = frozenset(overrides["tags"])
    return TicketFacts(**values)


def _conditions_of(rule: Any) -> Any:
    return getattr(rule, "conditions", rule)


def _facts_of(target: Any) -> TicketFacts:
    if isinstance(target, TicketFacts):
        return target
    return build_facts(target)  # a Ticket: read the facts from the database


def fires(rule: Any, target: Any) -> bool:
    """Whether `rule` (a Trigger, TimeRule or a conditions dict) matches `target`."""
    return compile_conditions(_conditions_of(rule)).matches(_facts_of(target))


def assert_fires(rule: Any, target: Any) -> None:
    __tracebackhide__ = True
    assert fires(rule, target), f"expected {_conditions_of(rule)} to match {target!r}"


def assert_does_not_fire(rule: Any, target: Any) -> None:
    __tracebackhide__ = True
    assert not fires(rule, target), f"expected {_conditions_of(rule)} not to match {target!r}"


def cond(type_: str, **params: Any) -> dict[str, Any]:
    return {"type": type_, **params}


def all_of(*conditions: Any) -> dict[str, Any]:
    return {"all": list(conditions)}
