"""The snapshot a rule's conditions are evaluated against.

`TicketFacts` is built once per evaluation and holds plain values only, so
conditions are pure functions (facts in, bool out) that tests can exercise
without a database and that can never reach further into the data than what
is copied here. `build_facts` is the one place that reads the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from tiski.calendars.hours import BusinessCalendar

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange
    from tiski.tickets.models import Ticket

# A condition type that reads data of its own (a satisfaction rating, say)
# loads it for many tickets at once: ticket ids in, {ticket id: value} out.
Loader = Callable[[list[int]], Mapping[int, Any]]

WORD = re.compile(r"\w+")  # str patterns are Unicode: ä, ö and å are word characters

# Never search further back than this for a business-time cutoff: a calendar
# that has been closed this long makes the condition simply false.
_CUTOFF_SEARCH_LIMIT = timedelta(days=3 * 366)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def words(text: str) -> tuple[str, ...]:
    """Case-folded words of `text`, in order (Unicode-aware: Finnish letters count)."""
    return tuple(WORD.findall(text.casefold()))


def default_calendar() -> BusinessCalendar:
    """The calendar "business hours" means in rules until calendars are editable.

    Office hours, Monday to Friday 8-16 in the desk's time zone, Finnish
    public holidays. Read at call time so tests and settings can change the
    zone; the calendar is cheap to build and hashable, so cutoffs cache on it.
    """
    from tiski.core import desk

    return _calendar_for(desk.time_zone_name())


@lru_cache(maxsize=8)
def _calendar_for(time_zone: str) -> BusinessCalendar:
    return BusinessCalendar.office_hours(time_zone=time_zone)


@lru_cache(maxsize=512)
def business_cutoff(calendar: BusinessCalendar, now: datetime, duration: timedelta) -> datetime:
    """The latest instant `t` with ``business_time_between(t, now) >= duration``.

    Business time elapsed since `t` only shrinks as `t` moves towards `now`,
    so "at least N business hours since ts" is exactly ``ts <= cutoff``. That
    turns a per-ticket calendar walk into one comparison (and one SQL filter
    in the time-rule pass). Found by bisection to the microsecond, so the
    answer is exact for stored timestamps; cached per (calendar, now, duration)
    because a pass evaluates the same condition for every ticket.
    """
    if duration <= timedelta(0):
        return now
    span = duration
    while calendar.business_time_between(now - span, now) < duration:
        span *= 2
        if span > _CUTOFF_SEARCH_LIMIT:
            return _EPOCH
    low, high = now - span, now  # business time since low >= duration > since high
    step = timedelta(microseconds=1)
    while high - low > step:
        middle = low + (high - low) / 2
        if calendar.business_time_between(middle, now) >= duration:
            low = middle
        else:
            high = middle
    return low


def hours_cutoff(
    now: datetime, hours: float, *, business: bool, calendar: BusinessCalendar
) -> datetime:
    """Timestamps at or before this instant are at least `hours` old at `now`."""
    duration = timedelta(hours=hours)
    if business:
        return business_cutoff(calendar, now, duration)
    return now - duration


@dataclass(frozen=True, kw_only=True)
class TicketFacts:
    """What conditions may look at; plain values, never model instances."""

    ticket_id: int
    number: int
    status: str
    type_slug: str | None
    priority: str
    team_id: int | None
    assignee_id: int | None
    channel: str
    escalation_level: int = 0
    tags: frozenset[str] = frozenset()
    organisation_id: int | None = None
    requester_language: str = "fi"
    mailbox: str = ""  # the address the first message came to, lower case; "" if unknown
    subject: str = ""
    body: str = ""  # text of the latest message
    created_at: datetime
    updated_at: datetime
    last_customer_message_at: datetime | None = None
    status_changed_at: datetime | None = None
    now: datetime
    in_business_hours: bool = False
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar.office_hours)
    # What condition types with a loader read for this ticket, by type name
    # (see `registry.ConditionKind.load`); only the types in use are loaded.
    loaded: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def subject_words(self) -> frozenset[str]:
        return frozenset(words(self.subject))

    @cached_property
    def body_words(self) -> frozenset[str]:
        return frozenset(words(self.body))

    @cached_property
    def folded_subject(self) -> str:
        return self.subject.casefold()

    @cached_property
    def folded_body(self) -> str:
        return self.body.casefold()

    def timestamp(self, since: str) -> datetime | None:
        return {
            "created": self.created_at,
            "updated": self.updated_at,
            "last_customer_message": self.last_customer_message_at,
            "status_changed": self.status_changed_at,
        }[since]


def facts_from_ticket(
    ticket: Ticket,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    in_business_hours: bool,
    tags: frozenset[str],
    mailbox: str,
    body: str,
    loaded: Mapping[str, Any] | None = None,
) -> TicketFacts:
    """Copy the values conditions use; the caller loads tags and texts in bulk."""
    requester = ticket.requester
    return TicketFacts(
        ticket_id=ticket.pk,
        number=ticket.number,
        status=ticket.status,
        type_slug=ticket.type.slug if ticket.type_id else None,
        priority=ticket.priority,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        channel=ticket.channel,
        escalation_level=ticket.escalation_level,
        tags=tags,
        organisation_id=requester.organisation_id,
        requester_language=requester.language,
        mailbox=(mailbox or "").strip().lower(),
        subject=ticket.subject,
        body=body or "",
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        last_customer_message_at=ticket.last_customer_message_at,
        status_changed_at=ticket.status_changed_at,
        now=now,
        in_business_hours=in_business_hours,
        calendar=calendar,
        loaded=loaded or {},
    )


def load_for(loaders: Mapping[str, Loader], ticket_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{ticket id: {type name: value}}: each loader called once for all the tickets."""
    found: dict[int, dict[str, Any]] = {ticket_id: {} for ticket_id in ticket_ids}
    for name, load in loaders.items():
        values = load(ticket_ids)
        for ticket_id in ticket_ids:
            found[ticket_id][name] = values.get(ticket_id)
    return found


def build_facts(
    ticket: Ticket,
    change: TicketChange | None = None,
    *,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
    loaders: Mapping[str, Loader] | None = None,
) -> TicketFacts:
    """Facts for one ticket, read from the database (the trigger path);
    `loaders`: the condition types with data of their own that will be checked."""
    from django.utils import timezone

    from tiski.tickets.models import Message, MessageKind

    now = now or timezone.now()
    calendar = calendar or default_calendar()
    messages = Message.objects.filter(ticket_id=ticket.pk)
    first_meta = messages.order_by("created_at", "id").values_list("meta", flat=True).first()
    body = ""
    latest_id = change.last_message_id if change else None
    if latest_id is not None:
        body = messages.filter(pk=latest_id).values_list("text", flat=True).first() or ""
    else:
        body = (
            messages.exclude(kind=MessageKind.SYSTEM)
            .order_by("-created_at", "-id")
            .values_list("text", flat=True)
            .first()
            or ""
        )
    return facts_from_ticket(
        ticket,
        now=now,
        calendar=calendar,
        in_business_hours=calendar.is_open(now),
        tags=frozenset(ticket.tags.values_list("name", flat=True)),
        mailbox=str((first_meta or {}).get("mailbox") or ""),
        body=body,
        loaded=load_for(loaders, [ticket.pk])[ticket.pk] if loaders else None,
    )


def build_facts_many(
    tickets: list[Ticket],
    changes: Mapping[int, TicketChange | None],
    *,
    now: datetime,
    calendar: BusinessCalendar | None = None,
    loaders: Mapping[str, Loader] | None = None,
) -> dict[int, TicketFacts]:
    """`build_facts` for many tickets in a few queries, not a few per ticket
    (the triggers after a time-rule chunk). ``changes``: each ticket's change."""
    from django.db.models import OuterRef, Subquery

    from tiski.tickets.models import Message, MessageKind
    from tiski.tickets.models import Ticket as TicketModel

    calendar = calendar or default_calendar()
    ids = [ticket.pk for ticket in tickets]
    messages = Message.objects.filter(ticket_id=OuterRef("pk"))
    rows = TicketModel.objects.filter(pk__in=ids).annotate(
        first_meta=Subquery(messages.order_by("created_at", "id").values("meta")[:1]),
        latest_body=Subquery(
            messages.exclude(kind=MessageKind.SYSTEM)
            .order_by("-created_at", "-id")
            .values("text")[:1]
        ),
    )
    first_meta: dict[int, Any] = {}
    latest_body: dict[int, str] = {}
    for pk, meta, body in rows.values_list("pk", "first_meta", "latest_body"):
        first_meta[pk], latest_body[pk] = meta, body or ""
    # A change that added messages is about its last one, as in build_facts.
    named = {
        ticket_id: change.last_message_id
        for ticket_id, change in changes.items()
        if change is not None and change.last_message_id is not None
    }
    texts = dict(Message.objects.filter(pk__in=named.values()).values_list("pk", "text"))
    through = TicketModel.tags.through
    tags: dict[int, set[str]] = {}
    for ticket_id, name in through.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "tag__name"
    ):
        tags.setdefault(ticket_id, set()).add(name)
    loaded = load_for(loaders, ids) if loaders else {}
    in_hours = calendar.is_open(now)
    facts: dict[int, TicketFacts] = {}
    for ticket in tickets:
        meta = first_meta.get(ticket.pk)
        if isinstance(meta, str):  # a JSON column read through a subquery may come back as text
            meta = json.loads(meta)
        body = (
            texts.get(named[ticket.pk], "")
            if ticket.pk in named
            else latest_body.get(ticket.pk, "")
        )
        facts[ticket.pk] = facts_from_ticket(
            ticket,
            now=now,
            calendar=calendar,
            in_business_hours=in_hours,
            tags=frozenset(tags.get(ticket.pk, ())),
            mailbox=str((meta or {}).get("mailbox") or ""),
            body=body or "",
            loaded=loaded.get(ticket.pk) if loaders else None,
        )
    return facts
