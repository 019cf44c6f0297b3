"""The hourly volume rollup, kept in step with the facts.

Each ticket contributes +1 ``created`` to the hour of its ``created_at``,
+1 ``solved`` to the hour of its ``solved_at`` and +1 ``reopened`` to the
hour of its ``first_reopened_at``, under its current team, agent, channel,
type and priority; a merged ticket contributes nothing. When `facts.refresh`
rewrites a ticket's facts it passes the old and new rows here, and only the
difference moves (usually one or two rows). `rebuild` recomputes the table
from the facts and `verify` diffs the two.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models.functions import TruncHour

from .models import HourlyVolume
from .volume_cells import BATCH, MEASURES, VolumeCells

__all__ = ["BATCH", "DIMENSIONS", "FACT_COLUMNS", "HOURLY", "MEASURES"]

DIMENSIONS = ("team_id", "assignee_id", "type_id", "channel", "priority")


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


HOURLY = VolumeCells(
    model=HourlyVolume,
    bucket_field="hour",
    dimensions=DIMENSIONS,
    bucket_of=_hour,
    truncate=lambda column: TruncHour(column, tzinfo=UTC),
    from_database=_hour,
    label=lambda hour: f"rollup {hour:%Y-%m-%d %H}:00",
)
FACT_COLUMNS = HOURLY.fact_columns
contributions = HOURLY.contributions
delta = HOURLY.delta
apply = HOURLY.apply
recount = HOURLY.recount
stored = HOURLY.stored
rebuild = HOURLY.rebuild
verify = HOURLY.verify
