"""The monthly rollups of created tickets, kept in step with the facts.

Each ticket contributes +1 ``created`` to the desk-time-zone month of its
``created_at``, under its current team and: its channel and type
(`MONTHLY_CREATED`), its channel and the local weekday and hour it was
created (`MONTHLY_WEEK_HOURS`), or its organisation
(`MONTHLY_ORGANISATIONS`); a merged ticket contributes nothing. They are
what the volume report's "created by" tables and weekday-by-hour maps and
the busiest organisations (volume, customers) read for the whole months of
a long period (`metrics`), where the hourly rollup or the facts would be
nearly a row per ticket. `facts.refresh` moves each rewrite's
difference here, `rebuild` recounts from the facts and `verify` diffs the
two. Months, weekdays and hours are cut in the desk's time zone when the
facts are written: after changing it, `tiski report --rebuild`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import DateField
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncMonth

from . import periods
from .models import MonthlyCreated, MonthlyOrganisation, MonthlyWeekHour
from .monthly import month_of
from .volume_cells import Derived, VolumeCells

CREATED = {"created": "created_at"}


def month_in_database(column: str) -> Any:
    return TruncMonth(column, output_field=DateField(), tzinfo=periods.zone())


def as_month(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _local(moment: datetime) -> datetime:
    return moment.astimezone(periods.zone())


MONTHLY_CREATED = VolumeCells(
    model=MonthlyCreated,
    bucket_field="month",
    dimensions=("team_id", "channel", "type_id"),
    bucket_of=month_of,
    truncate=month_in_database,
    from_database=as_month,
    label=lambda month: f"monthly created {month:%Y-%m}",
    measures=CREATED,
)
MONTHLY_WEEK_HOURS = VolumeCells(
    model=MonthlyWeekHour,
    bucket_field="month",
    dimensions=("team_id", "channel", "weekday", "hour"),
    bucket_of=month_of,
    truncate=month_in_database,
    from_database=as_month,
    label=lambda month: f"monthly weekday-by-hour {month:%Y-%m}",
    measures=CREATED,
    derived={
        "weekday": Derived(
            "created_at",
            lambda moment: _local(moment).isoweekday(),
            lambda column: ExtractIsoWeekDay(column, tzinfo=periods.zone()),
        ),
        "hour": Derived(
            "created_at",
            lambda moment: _local(moment).hour,
            lambda column: ExtractHour(column, tzinfo=periods.zone()),
        ),
    },
)
MONTHLY_ORGANISATIONS = VolumeCells(
    model=MonthlyOrganisation,
    bucket_field="month",
    dimensions=("team_id", "organisation_id"),
    bucket_of=month_of,
    truncate=month_in_database,
    from_database=as_month,
    label=lambda month: f"monthly organisations {month:%Y-%m}",
    measures=CREATED,
)
LEVELS = (MONTHLY_CREATED, MONTHLY_WEEK_HOURS, MONTHLY_ORGANISATIONS)
FACT_COLUMNS = tuple(dict.fromkeys(c for level in LEVELS for c in level.fact_columns))


def delta(old: list, new: list) -> list:
    """Each table's change when fact rows ``old`` become rows ``new``."""
    return [level.delta(old, new) for level in LEVELS]


def apply(changes: list) -> None:
    for level, change in zip(LEVELS, changes, strict=True):
        level.apply(change)


def rebuild() -> int:
    return sum(level.rebuild() for level in LEVELS)


def verify():  # type: ignore[no-untyped-def]
    for level in LEVELS:
        yield from level.verify()
