"""The monthly rollup of public replies, kept in step with the reply rows.

Each `ReplyFact` (one public agent reply of a ticket that is not merged)
adds one to the desk-time-zone month of its time, under its author and its
ticket's team and assignee. Over three years the agents report's replies
column read a few million reply rows; the whole months of a long period
are read here instead (`metrics._people_reads`), the days before and after
them from the reply rows. `facts.refresh` moves each rewrite's difference
(the ticket's reply rows before and after), `rebuild` recounts from the
reply rows and `verify` diffs the two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .models import MonthlyReplies, ReplyFact
from .monthly import month_of
from .monthly_created import as_month, month_in_database
from .volume_cells import VolumeCells

MONTHLY_REPLIES = VolumeCells(
    model=MonthlyReplies,
    bucket_field="month",
    dimensions=("author_id", "team_id", "assignee_id"),
    bucket_of=month_of,
    truncate=month_in_database,
    from_database=as_month,
    label=lambda month: f"monthly replies {month:%Y-%m}",
    measures={"replies": "at"},
    source=ReplyFact,
)
# The reply row columns a reply's contribution depends on.
REPLY_COLUMNS = MONTHLY_REPLIES.fact_columns


def values_of(rows: Iterable[ReplyFact]) -> list[dict[str, Any]]:
    """New reply rows as the column values `delta` compares."""
    return [{column: getattr(row, column) for column in REPLY_COLUMNS} for row in rows]


def delta(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> Counter:
    """The rollup's change when reply rows ``old`` become rows ``new``."""
    return MONTHLY_REPLIES.delta(old, new)


def apply(change: Counter) -> None:
    MONTHLY_REPLIES.apply(change)


def rebuild() -> int:
    return MONTHLY_REPLIES.rebuild()


def verify() -> Iterator[str]:
    yield from MONTHLY_REPLIES.verify()
