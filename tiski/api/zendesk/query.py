"""Zendesk's search syntax, parsed without touching the database.

    type:ticket status<solved priority>=high assignee:me group:Myynti
    tags:vip -tags:spam requester:liisa@example.fi created>2026-01-01
    updated<2days "exact phrase" printer

``key:value`` matches, ``key<value``/``>``/``<=``/``>=`` compare (statuses
in Zendesk's order new < open < pending < hold < solved < closed, priorities
low < normal < high < urgent, times), a leading ``-`` excludes. Times are a
date (``2026-01-31``), a UTC time (``2026-01-31T12:00:00Z``) or a span back
from now (``4hours``, ``2days``, ``3weeks``, ``1months``, ``1years``). Words
and "phrases" are full text. A known key with a bad value is a `QueryError`;
an unknown key is a plain word, as in Zendesk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .mapping import PRIORITIES, STATUSES

KEYS = {
    "type": "type",
    "status": "status",
    "priority": "priority",
    "assignee": "assignee",
    "group": "group",
    "tags": "tags",
    "tag": "tags",
    "requester": "requester",
    "organization": "organization",
    "created": "created",
    "updated": "updated",
    "solved": "solved",
}
TIME_KEYS = ("created", "updated", "solved")
TYPES = ("ticket", "user", "organization")
OPERATORS = (":", "<=", ">=", "<", ">")
TOKEN = re.compile(r'-?[\w]+(?:<=|>=|:|<|>)"[^"]*"|-?"[^"]*"|\S+')
CONDITION = re.compile(r"^(-?)(\w+)(<=|>=|:|<|>)(.+)$")
SPAN = re.compile(r"^(\d+)(minute|hour|day|week|month|year)s?$")
SPAN_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    key: str
    op: str
    value: str
    negated: bool = False


@dataclass
class ZendeskQuery:
    type: str = "ticket"
    conditions: list[Condition] = field(default_factory=list)
    words: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The full-text part, in the desk's search language (quotes and ``-`` kept)."""
        return " ".join(self.words)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def parse_time(value: str, now: datetime) -> datetime | date:
    """A date (whole day), a UTC time, or a span back from ``now``."""
    span = SPAN.match(value.lower())
    if span:
        return now - timedelta(days=int(span.group(1)) * SPAN_DAYS[span.group(2)])
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    moment = parse_datetime(value)
    if moment is None or moment.tzinfo is None:
        raise QueryError(
            _("%(value)s is not a date, a UTC time or a span of time back from now.")
            % {"value": value}
        )
    return moment


def _check(condition: Condition, now: datetime) -> None:
    key, value = condition.key, condition.value.lower()
    if key == "type" and (value not in TYPES or condition.op != ":"):
        raise QueryError(_("type: is one of %(names)s.") % {"names": ", ".join(TYPES)})
    if key == "status" and value not in STATUSES:
        raise QueryError(_("status: is one of %(names)s.") % {"names": ", ".join(STATUSES)})
    if key == "priority" and value not in PRIORITIES:
        raise QueryError(_("priority: is one of %(names)s.") % {"names": ", ".join(PRIORITIES)})
    if key in TIME_KEYS:
        parse_time(condition.value, now)
    elif condition.op != ":" and key not in ("status", "priority"):
        raise QueryError(_("%(key)s only matches with a colon.") % {"key": key})


def parse(raw: str, now: datetime) -> ZendeskQuery:
    query = ZendeskQuery()
    for token in TOKEN.findall(raw or ""):
        found = CONDITION.match(token)
        key = KEYS.get(found.group(2).lower()) if found else None
        if found is None or key is None or found.group(4).startswith("//"):
            query.words.append(token)  # a plain word, a phrase, or a URL
            continue
        condition = Condition(
            key=key,
            op=found.group(3),
            value=_unquote(found.group(4)),
            negated=found.group(1) == "-",
        )
        _check(condition, now)
        if key == "type":
            query.type = condition.value.lower()
        else:
            query.conditions.append(condition)
    return query


def ordered_values(values: tuple[str, ...], op: str, value: str) -> list[str]:
    """The values of an ordered scale that ``op value`` selects (``<solved``: the unsolved)."""
    at = values.index(value.lower())
    chosen = {
        ":": values[at : at + 1],
        "<": values[:at],
        "<=": values[: at + 1],
        ">": values[at + 1 :],
        ">=": values[at:],
    }
    return list(chosen[op])
