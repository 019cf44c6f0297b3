"""One row of facts per ticket, derived from the ticket's own rows.

`gather` reads a chunk of tickets' raw rows (ticket, status events,
messages, SLA targets, merges) in a fixed handful of queries; `compute` is
pure and turns one ticket's rows into its facts exactly as docs/reports.md
defines them; `refresh` writes them; `recount` computes without writing,
and `verify` diffs the two. The TicketChange handler keeps the table
current after every change; `rebuild` fills it from scratch.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.fields.json import KT
from django.utils import timezone

from tiski.calendars import BusinessCalendar
from tiski.core.bulk import insert_instances, insert_rows
from tiski.sla.clock import TicketHistory, solved_at
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import (
    UNSOLVED_STATUSES,
    Event,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketMerge,
)

from . import (
    contact_totals,
    daily,
    monthly,
    monthly_created,
    monthly_replies,
    rollups,
    survey_facts,
)
from .models import (
    ContactTotals,
    DailyVolume,
    HourlyVolume,
    MonthlyCreated,
    MonthlyFigure,
    MonthlyOrganisation,
    MonthlyReplies,
    MonthlyWeekHour,
    ReplyFact,
    SurveyFact,
    TicketFact,
)

log = logging.getLogger(__name__)
# What `refresh` reads of a ticket's facts before rewriting them: the rollups
# move by the difference between these and the new facts.
OLD_COLUMNS = sorted(
    {
        *rollups.FACT_COLUMNS,
        *daily.FACT_COLUMNS,
        *monthly.FACT_COLUMNS,
        *monthly_created.FACT_COLUMNS,
        *contact_totals.FACT_COLUMNS,
    }
)

CHUNK = 500
WAITING_STATUSES = frozenset({Status.NEW, Status.OPEN})
AGENT_MESSAGE_KINDS = frozenset({MessageKind.PUBLIC, MessageKind.INTERNAL, MessageKind.CALL})
# Columns compared by `verify` and written by `refresh` (all but the key and the stamp).
FACT_FIELDS = [
    "created_at",
    "channel",
    "team_id",
    "assignee_id",
    "type_id",
    "priority",
    "requester_id",
    "organisation_id",
    "policy_id",
    "mailbox",
    "status",
    "merged",
    "first_reply_at",
    "first_reply_seconds",
    "first_reply_business",
    "next_reply_seconds",
    "next_reply_business",
    "solved_at",
    "resolution_seconds",
    "resolution_business",
    "wait_seconds",
    "wait_business",
    "first_reopened_at",
    "reopen_count",
    "replies",
    "touches",
    "fr_breached",
    "nr_breached",
    "res_breached",
]


@dataclass
class Snapshot:
    """One ticket's raw rows, as `gather` read them."""

    ticket: dict[str, Any]
    # (when, old status, new status), in time order
    statuses: list[tuple[datetime, str, str]] = field(default_factory=list)
    # (when, kind, author user id), in time order, merged-in messages left out
    messages: list[tuple[datetime, str, int | None]] = field(default_factory=list)
    mailbox: str = ""
    # (target kind, breached)
    targets: list[tuple[str, bool]] = field(default_factory=list)
    policy_id: int | None = None
    calendar_id: int | None = None
    merged: bool = False


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def _timeline(snap: Snapshot) -> list[tuple[datetime, str]]:
    t = snap.ticket
    initial = snap.statuses[0][1] if snap.statuses else t["status"]
    return [(t["created_at"], initial)] + [(at, new) for at, _old, new in snap.statuses]


def _waiting(
    timeline: list[tuple[datetime, str]], end: datetime, calendar: BusinessCalendar
) -> tuple[int, int]:
    """Calendar and business seconds spent in new/open before ``end``."""
    plain = business = timedelta(0)
    for (start, status), (nxt, _s) in zip(timeline, timeline[1:] + [(end, "")], strict=True):
        stop = min(nxt, end)
        if status in WAITING_STATUSES and stop > start:
            plain += stop - start
            business += calendar.business_time_between(start, stop)
    return _seconds(plain), _seconds(business)


def _exchanges(
    messages: Sequence[tuple[datetime, str, int | None]],
) -> list[tuple[datetime, datetime]]:
    """Each customer message after a public reply, paired with the next public reply."""
    replies = [at for at, kind, _a in messages if kind == MessageKind.PUBLIC]
    customer = [at for at, kind, _a in messages if kind == MessageKind.CUSTOMER]
    pairs: list[tuple[datetime, datetime]] = []
    if not replies:
        return pairs
    floor = replies[0]
    while True:
        start = next((at for at in customer if at > floor), None)
        if start is None:
            break
        answer = next((at for at in replies if at > start), None)
        if answer is None:
            break
        pairs.append((start, answer))
        floor = answer
    return pairs


def compute(snap: Snapshot, calendar: BusinessCalendar) -> dict[str, Any]:
    """The ticket's facts (docs/reports.md) from its raw rows; no database."""
    t = snap.ticket
    created = t["created_at"]
    facts: dict[str, Any] = {
        "created_at": created,
        "channel": t["channel"],
        "team_id": t["team_id"],
        "assignee_id": t["assignee_id"],
        "type_id": t["type_id"],
        "priority": t["priority"],
        "requester_id": t["requester_id"],
        "organisation_id": t["organisation_id"],
        "policy_id": snap.policy_id,
        "mailbox": snap.mailbox[:254],
        "status": t["status"],
        "merged": snap.merged,
    }
    replies = [at for at, kind, _a in snap.messages if kind == MessageKind.PUBLIC]
    first = replies[0] if replies else None
    facts["first_reply_at"] = first
    facts["first_reply_seconds"] = _seconds(first - created) if first else None
    facts["first_reply_business"] = (
        _seconds(calendar.business_time_between(created, first)) if first else None
    )
    pairs = _exchanges(snap.messages)
    facts["next_reply_seconds"] = [_seconds(b - a) for a, b in pairs]
    facts["next_reply_business"] = [
        _seconds(calendar.business_time_between(a, b)) for a, b in pairs
    ]

    timeline = _timeline(snap)
    solved = None
    if t["status"] not in UNSOLVED_STATUSES:
        solved = solved_at(TicketHistory(created, timeline, (), ()))
    facts["solved_at"] = solved
    if solved is not None:
        facts["resolution_seconds"] = _seconds(solved - created)
        facts["resolution_business"] = _seconds(calendar.business_time_between(created, solved))
        facts["wait_seconds"], facts["wait_business"] = _waiting(timeline, solved, calendar)
    else:
        for key in ("resolution_seconds", "resolution_business", "wait_seconds", "wait_business"):
            facts[key] = None

    reopens = [
        at for at, old, new in snap.statuses if old == Status.SOLVED and new in UNSOLVED_STATUSES
    ]
    facts["first_reopened_at"] = reopens[0] if reopens else None
    facts["reopen_count"] = len(reopens)
    facts["replies"] = len(replies)
    facts["touches"] = sum(
        1 for _at, kind, author in snap.messages if kind in AGENT_MESSAGE_KINDS and author
    )
    for column, kind in (
        ("fr_breached", "first_reply"),
        ("nr_breached", "next_reply"),
        ("res_breached", "resolution"),
    ):
        flags = [breached for k, breached in snap.targets if k == kind]
        facts[column] = any(flags) if flags else None
    return facts


def gather(ids: Sequence[int]) -> dict[int, Snapshot]:
    """The raw rows of up to a chunk of tickets, in six queries."""
    from tiski.sla.models import SlaTarget, TicketSla

    snaps = {
        row["id"]: Snapshot(ticket=row)
        for row in Ticket.objects.filter(pk__in=ids).values(
            "id",
            "created_at",
            "channel",
            "team_id",
            "assignee_id",
            "type_id",
            "priority",
            "requester_id",
            "status",
            organisation_id=F("requester__organisation_id"),
        )
    }
    if not snaps:
        return snaps
    ids = list(snaps)
    for ticket_id, at, old, new in (
        Event.objects.filter(ticket_id__in=ids, kind=EventKind.FIELD, field="status")
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "created_at", "old_value", "new_value")
    ):
        snaps[ticket_id].statuses.append((at, old, new))
    for ticket_id, at, kind, author, mailbox in (
        Message.objects.filter(ticket_id__in=ids, kind__in=[*AGENT_MESSAGE_KINDS, "customer"])
        .exclude(meta__has_key="merged_from")
        .annotate(mailbox=KT("meta__mailbox"))
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "created_at", "kind", "author_user_id", "mailbox")
    ):
        snap = snaps[ticket_id]
        snap.messages.append((at, kind, author))
        if kind == MessageKind.CUSTOMER and mailbox and not snap.mailbox:
            snap.mailbox = mailbox
    for ticket_id, kind, breached in (
        SlaTarget.objects.filter(ticket_id__in=ids)
        .order_by("ticket_id", "started_at", "pk")
        .values_list("ticket_id", "kind", "breached")
    ):
        snaps[ticket_id].targets.append((kind, breached))
    for ticket_id, policy_id, calendar_id in TicketSla.objects.filter(
        ticket_id__in=ids
    ).values_list("ticket_id", "policy_id", "policy__calendar_id"):
        snaps[ticket_id].policy_id = policy_id
        snaps[ticket_id].calendar_id = calendar_id
    for source_id in TicketMerge.objects.filter(
        source_id__in=ids, undone_at__isnull=True
    ).values_list("source_id", flat=True):
        snaps[source_id].merged = True
    return snaps


class Calendars:
    """Business calendars by id, built once per pass; None is the default one."""

    def __init__(self) -> None:
        self._cache: dict[int | None, BusinessCalendar] = {}

    def get(self, calendar_id: int | None) -> BusinessCalendar:
        if calendar_id not in self._cache:
            from tiski.sla.models import Calendar

            row = None
            if calendar_id is not None:
                row = Calendar.objects.filter(pk=calendar_id).first()
            self._cache[calendar_id] = (row or Calendar.default()).to_calendar()
        return self._cache[calendar_id]


def recount(ids: Sequence[int], calendars: Calendars | None = None) -> dict[int, dict[str, Any]]:
    """Facts computed from the raw rows, nothing written."""
    calendars = calendars or Calendars()
    return {
        ticket_id: compute(snap, calendars.get(snap.calendar_id))
        for ticket_id, snap in gather(ids).items()
    }


def replies_of(snaps: dict[int, Snapshot], found: dict[int, dict[str, Any]]) -> list[ReplyFact]:
    """The reply rows of these tickets (none for a merged ticket)."""
    return [
        ReplyFact(
            ticket_id=ticket_id,
            at=at,
            author_id=author,
            team_id=found[ticket_id]["team_id"],
            assignee_id=found[ticket_id]["assignee_id"],
        )
        for ticket_id, snap in snaps.items()
        if not snap.merged
        for at, kind, author in snap.messages
        if kind == MessageKind.PUBLIC
    ]


def refresh(ticket_ids: Sequence[int], *, move_rollup: bool = True) -> int:
    """Recompute and store the facts of these tickets; how many rows were written.

    ``move_rollup=False`` leaves the hourly and monthly rollups alone
    (`rebuild` recounts them once at the end).
    """
    ids = sorted({int(i) for i in ticket_ids})
    calendars = Calendars()
    written = 0
    now = timezone.now()
    for start in range(0, len(ids), CHUNK):
        snaps = gather(ids[start : start + CHUNK])
        found = {
            ticket_id: compute(snap, calendars.get(snap.calendar_id))
            for ticket_id, snap in snaps.items()
        }
        rows = [
            {"ticket_id": ticket_id, "refreshed_at": now, **facts}
            for ticket_id, facts in found.items()
        ]
        with transaction.atomic():
            # The rows as they were, locked: the rollup moves by the difference.
            old = list(
                TicketFact.objects.select_for_update()
                .filter(ticket_id__in=list(found))
                .order_by("pk")
                .values(*OLD_COLUMNS)
            )
            # Plain values, not a model instance per row: the facts of an
            # import's thousands of tickets are written here at the end.
            insert_rows(
                TicketFact,
                rows,
                unique_fields=["ticket"],
                update_fields=[*FACT_FIELDS, "refreshed_at"],
            )
            if move_rollup:
                rollups.apply(rollups.delta(old, found.values()))
                daily.apply(daily.delta(old, found.values()))
                monthly.apply(monthly.delta(old, found.values()))
                monthly_created.apply(monthly_created.delta(old, list(found.values())))
                contact_totals.apply(contact_totals.delta(old, found.values()))
            replies = ReplyFact.objects.filter(ticket_id__in=list(snaps))
            # The reply rows as they were: the monthly replies move by the difference.
            old_replies = (
                list(replies.values(*monthly_replies.REPLY_COLUMNS)) if move_rollup else []
            )
            replies.delete()
            new_replies = replies_of(snaps, found)
            insert_instances(ReplyFact, new_replies)
            if move_rollup:
                monthly_replies.apply(
                    monthly_replies.delta(old_replies, monthly_replies.values_of(new_replies))
                )
            survey_facts.rewrite(found)
        written += len(rows)
    return written


def all_ticket_ids() -> Iterator[list[int]]:
    """Every ticket id, a chunk at a time, by keyset (no big OFFSET)."""
    last = 0
    while True:
        chunk = list(
            Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def rebuild() -> int:
    written = 0
    for chunk in all_ticket_ids():
        written += refresh(chunk, move_rollup=False)
    # Recounted once at the end: cheaper than thousands of small moves, and
    # it also repairs a rollup that drifted (a ticket deleted, say).
    rollups.rebuild()
    daily.rebuild()
    monthly.rebuild()
    monthly_created.rebuild()
    monthly_replies.rebuild()
    contact_totals.rebuild()
    return written


def vacuum_report_tables() -> bool:
    """VACUUM (ANALYZE) the derived tables after a rebuild, on PostgreSQL;
    whether it ran.

    A just-filled table has an empty visibility map, so until autovacuum
    gets to it the covering indexes' index-only scans still visit the table
    for every row (docs/reports.md, Reading the facts quickly), and the
    planner has no statistics. VACUUM cannot run inside a transaction: a
    rebuild inside one (the tests) leaves it to autovacuum.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (
            TicketFact,
            ContactTotals,
            HourlyVolume,
            DailyVolume,
            MonthlyFigure,
            MonthlyCreated,
            MonthlyWeekHour,
            MonthlyOrganisation,
            MonthlyReplies,
            ReplyFact,
            SurveyFact,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return True


def _comparable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def verify() -> Iterator[str]:
    """Every difference between the stored facts and a recount from the raw rows."""
    calendars = Calendars()
    for chunk in all_ticket_ids():
        stored = {
            row["ticket_id"]: row
            for row in TicketFact.objects.filter(ticket_id__in=chunk).values(
                "ticket_id", *FACT_FIELDS
            )
        }
        snaps = gather(chunk)
        recounted = {
            ticket_id: compute(snap, calendars.get(snap.calendar_id))
            for ticket_id, snap in snaps.items()
        }
        replies_stored = Counter(
            ReplyFact.objects.filter(ticket_id__in=chunk).values_list(
                "ticket_id", "at", "author_id"
            )
        )
        replies_now = Counter(
            (r.ticket_id, r.at, r.author_id) for r in replies_of(snaps, recounted)
        )
        for ticket_id, at, author in sorted((replies_stored - replies_now).keys()):
            yield f"ticket {ticket_id}: reply at {at.isoformat()} by {author} stored, not recounted"
        for ticket_id, at, author in sorted((replies_now - replies_stored).keys()):
            yield f"ticket {ticket_id}: reply at {at.isoformat()} by {author} recounted, not stored"
        yield from survey_facts.differences(chunk, recounted)
        for ticket_id, facts in recounted.items():
            row = stored.get(ticket_id)
            if row is None:
                yield f"ticket {ticket_id}: no facts stored"
                continue
            for name in FACT_FIELDS:
                if _comparable(row[name]) != _comparable(facts[name]):
                    yield (
                        f"ticket {ticket_id}: {name} stored {row[name]!r},"
                        f" recounted {facts[name]!r}"
                    )


# --- handlers ---------------------------------------------------------------


def on_ticket_change(change: TicketChange) -> None:
    """TicketChange handler (after the SLA handler: breach flags come from its targets)."""
    refresh([change.ticket_id])


def on_ticket_changes(changes: list[TicketChange]) -> None:
    refresh([change.ticket_id for change in changes])


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


def refresh_many(ticket_ids: list[int]) -> None:
    """TISKI_TICKET_BULK_HANDLERS form: after an import, the tickets it touched."""
    refresh(ticket_ids)
