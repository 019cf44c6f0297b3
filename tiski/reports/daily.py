"""The daily volume rollup, kept in step with the facts.

Each ticket contributes +1 ``created`` to the desk-time-zone day of its
``created_at``, +1 ``solved`` to the day of its ``solved_at`` and +1
``reopened`` to the day of its ``first_reopened_at``, under its current
team and agent; a merged ticket contributes nothing. The same measures as
the hourly rollup (`reports.rollups`) with fewer dimensions, so that long
periods read a few cells per day: `facts.refresh` moves the difference of
each rewrite here too, `rebuild` recounts from the facts and `verify`
diffs the two. Days are cut in the desk's time zone when the facts are
written: after changing it, `tiski report --rebuild`.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models.functions import TruncDate

from . import periods
from .models import DailyVolume
from .volume_cells import Cells, VolumeCells

DIMENSIONS = ("team_id", "assignee_id")


def day_of(moment: datetime) -> date:
    return moment.astimezone(periods.zone()).date()


DAILY = VolumeCells(
    model=DailyVolume,
    bucket_field="day",
    dimensions=DIMENSIONS,
    bucket_of=day_of,
    truncate=lambda column: TruncDate(column, tzinfo=periods.zone()),
    from_database=lambda day: day,
    label=lambda day: f"daily rollup {day:%Y-%m-%d}",
)
FACT_COLUMNS = DAILY.fact_columns
contributions = DAILY.contributions
delta = DAILY.delta
apply = DAILY.apply
recount = DAILY.recount
stored = DAILY.stored
rebuild = DAILY.rebuild
verify = DAILY.verify


def rows_of(cells: Cells, model: type = DailyVolume) -> list:
    """New rows for ``cells`` (of ``model``: migration 0008 fills its historical table)."""
    return DAILY.rows_of(cells, model)


__all__ = ["DAILY", "DIMENSIONS", "FACT_COLUMNS", "day_of", "rows_of"]
